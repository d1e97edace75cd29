using System.Net;
using System.Text;

namespace Herald.Cli.Tests;

/// <summary>herald serve and browsers: cross-site calls only from the origins the operator allows.</summary>
public sealed class CrossSiteTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(new string[0], "https://dashboard.example", false)]
    [InlineData(new[] { "--allow-origin", "https://dashboard.example" }, "https://dashboard.example", true)]
    [InlineData(new[] { "--allow-origin", "https://dashboard.example" }, "https://evil.example", false)]
    public async Task Preflight_FromAnOrigin_AllowedOnlyWhenTheOperatorSaidSo(string[] options, string origin, bool allowed)
    {
        var output = new LineWriter();
        using var stop = new CancellationTokenSource();
        var run = HeraldCli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--store", "memory", "--agent", "echo", .. options], output, new StringWriter(), stop.Token);
        try
        {
            var line = await output.ReadLineAsync(Timeout);
            var address = new Uri(line.Split(' ')[3].TrimEnd(',').TrimEnd('/') + "/");
            using var http = new HttpClient { Timeout = Timeout };
            using var preflight = new HttpRequestMessage(HttpMethod.Options, address);
            preflight.Headers.Add("Origin", origin);
            preflight.Headers.Add("Access-Control-Request-Method", "POST");
            preflight.Headers.Add("Access-Control-Request-Headers", "content-type,a2a-version");
            using var answer = await http.SendAsync(preflight);

            // A page cannot avoid the preflight either: a body it may send without one (text/plain) is refused.
            using var simple = new HttpRequestMessage(HttpMethod.Post, address)
            {
                Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"ListTasks","params":{}}""", Encoding.UTF8, "text/plain"),
            };
            simple.Headers.Add("Origin", origin);
            simple.Headers.Add("A2A-Version", "1.0");
            using var refused = await http.SendAsync(simple);

            Assert.Equal(allowed, answer.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) && values.Single() == origin);
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, refused.StatusCode);
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(0, await run.WaitAsync(Timeout));
        }
    }

    [Theory]
    [InlineData("dashboard.example")]
    [InlineData("https://dashboard.example/path")]
    [InlineData("ftp://dashboard.example")]
    public async Task AllowOrigin_NotAnOrigin_RefusedWithAClearMessage(string origin)
    {
        var error = new StringWriter();

        var exitCode = await HeraldCli.RunAsync(["serve", "--store", "memory", "--allow-origin", origin], new StringWriter(), error).WaitAsync(Timeout);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("is not an origin", error.ToString(), StringComparison.Ordinal);
    }
}
