using System.Net;
using System.Text;

namespace Herald.Cli.Tests;

public sealed partial class ServeCommandTests
{
    [Fact]
    public async Task Serve_Metrics_ScrapeAfterAMessageShowsHeraldInstruments()
    {
        var output = new LineWriter();
        var error = new StringWriter();
        using var stop = new CancellationTokenSource();
        var run = HeraldCli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--agent", "chunks", "--store", "memory", "--metrics"], output, error, stop.Token);
        var address = ParseStartupLine(await output.ReadLineAsync(Timeout), "chunks");
        using var http = new HttpClient { Timeout = Timeout };

        const string body = """{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"m-1","role":"ROLE_USER","parts":[{"text":"3 delay=0"}]}}}""";
        using var send = new HttpRequestMessage(HttpMethod.Post, address) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        send.Headers.Add("A2A-Version", "1.0");
        using (var answer = await http.SendAsync(send))
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Contains("TASK_STATE_COMPLETED", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // The operation is counted when its response has ended, which the client may see first: scrape until it shows
        // (the exporter caches a scrape briefly), within a bound.
        string scrape;
        var deadline = DateTime.UtcNow + Timeout;
        do
        {
            using var response = await http.GetAsync(new Uri(address, "metrics"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            scrape = await response.Content.ReadAsStringAsync();
        }
        while (!scrape.Contains("herald_operations_total{", StringComparison.Ordinal) && DateTime.UtcNow < deadline);

        // Herald's instruments in Prometheus names: the operation counted by method, the run's events appended, the run timed.
        Assert.Contains("# TYPE herald_operations_total counter", scrape, StringComparison.Ordinal);
        Assert.Matches("herald_operations_total\\{[^}]*rpc_method=\"SendMessage\"[^}]*\\} 1", scrape);
        Assert.Matches("(?m)^herald_events_appended_total\\{[^}]*\\} [1-9]", scrape);
        Assert.Contains("herald_agent_run_duration_seconds_count{", scrape, StringComparison.Ordinal);

        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Serve_WithoutMetrics_ServesNoScrapeEndpoint()
    {
        var output = new LineWriter();
        using var stop = new CancellationTokenSource();
        var run = HeraldCli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--agent", "chunks", "--store", "memory"], output, new StringWriter(), stop.Token);
        var address = ParseStartupLine(await output.ReadLineAsync(Timeout), "chunks");
        using var http = new HttpClient { Timeout = Timeout };

        using var response = await http.GetAsync(new Uri(address, "metrics"));
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);

        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(Timeout));
    }
}
