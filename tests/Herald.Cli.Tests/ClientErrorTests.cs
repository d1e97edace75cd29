using System.Net;
using System.Net.Sockets;

namespace Herald.Cli.Tests;

public sealed class ClientErrorTests(CliTestServer server) : IClassFixture<CliTestServer>
{
    [Theory]
    [InlineData("card")]
    [InlineData("send", "hi", "--stream")]
    [InlineData("get", "some-task")]
    [InlineData("list")]
    public async Task Verb_UnreachableServer_Exits10WithOneLineAndNoStackTrace(string verb, params string[] rest)
    {
        var url = $"http://127.0.0.1:{ClosedPort()}/";

        var run = await CliRun.RunAsync([verb, url, .. rest]);

        Assert.Equal(ExitCodes.Unreachable, run.ExitCode);
        Assert.Equal("", run.Output);
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith($"herald {verb}: cannot reach {url}: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verb_UnreachableWithVerbose_ShowsTheStackTrace()
    {
        var run = await CliRun.RunAsync("card", $"http://127.0.0.1:{ClosedPort()}/", "--verbose");

        Assert.Equal(ExitCodes.Unreachable, run.ExitCode);
        Assert.Contains("HttpRequestException", run.Error, StringComparison.Ordinal);
        Assert.Contains("   at ", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("get")]
    [InlineData("subscribe")]
    [InlineData("cancel")]
    public async Task Verb_UnknownTask_Exits13(string verb)
    {
        var run = await CliRun.RunAsync(verb, server.Url, "no-such-task");

        Assert.Equal(ExitCodes.TaskNotFound, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith($"herald {verb}: ", line, StringComparison.Ordinal);
        Assert.Contains("no-such-task", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Card_UrlWithoutAgent_Exits11()
    {
        var url = server.Url + "nothing-here/";

        var run = await CliRun.RunAsync("card", url);

        Assert.Equal(ExitCodes.NotAnAgent, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith($"herald card: {url} is not an A2A agent: ", line, StringComparison.Ordinal);
        Assert.Contains("404", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_PinnedVersionNotOffered_Exits12()
    {
        var run = await CliRun.RunAsync("send", server.Url, "1", "--stream", "--a2a-version", "0.9");

        Assert.Equal(ExitCodes.UnsupportedVersion, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.Contains("0.9", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_PinnedVersionOffered_Works()
    {
        var run = await CliRun.RunAsync("send", server.Url, "1 delay=0", "--a2a-version", "1.0", "--json");

        Assert.Equal(0, run.ExitCode);
    }

    [Theory]
    [InlineData("no-colon")]
    [InlineData(": value")]
    public async Task Header_Malformed_IsAUsageError(string header)
    {
        var run = await CliRun.RunAsync("card", server.Url, "-H", header);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("expected \"Name: value\"", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Url_NotHttp_IsAUsageError()
    {
        var run = await CliRun.RunAsync("card", "ftp://example");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("is not an http:// or https:// URL", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RootHelp_DocumentsExitCodes()
    {
        var run = await CliRun.RunAsync("--help");

        Assert.Equal(0, run.ExitCode);
        foreach (var verb in new[] { "card <URL>", "send <URL> <TEXT>", "subscribe <URL> <TASK>", "get <URL> <TASK>", "list <URL>", "cancel <URL> <TASK>", "serve" })
        {
            Assert.Contains(verb, run.Output, StringComparison.Ordinal);
        }

        Assert.Contains($"{ExitCodes.Canceled}  canceled", run.Output, StringComparison.Ordinal);
        Assert.Contains($"{ExitCodes.Unreachable}  server unreachable", run.Output, StringComparison.Ordinal);
        Assert.Contains($"{ExitCodes.TaskNotFound}  task not found", run.Output, StringComparison.Ordinal);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

public sealed class HeaderTests : IAsyncLifetime
{
    private readonly CliTestServer _server = CliTestServer.WithRequiredHeader();

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Header_SentWithEveryRequest()
    {
        var header = $"{CliTestServer.RequiredHeader}: {CliTestServer.RequiredValue}";

        var without = await CliRun.RunAsync("card", _server.Url);
        var card = await CliRun.RunAsync("card", _server.Url, "-H", header);
        var send = await CliRun.RunAsync("send", _server.Url, "2 delay=0", "--stream", "--json", "-H", header, "-H", "X-Other: 1");

        Assert.Equal(ExitCodes.NotAnAgent, without.ExitCode);
        Assert.Contains("401", without.Error, StringComparison.Ordinal);
        Assert.Equal(0, card.ExitCode);
        Assert.Equal(0, send.ExitCode);
        Assert.Equal("TASK_STATE_COMPLETED", send.JsonLines[^1].GetProperty("response").GetProperty("statusUpdate").GetProperty("status").GetProperty("state").GetString());
    }
}
