using System.Text.Json;
using System.Text.RegularExpressions;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Herald.Cli.Hosting;
using Herald.Protocol;

namespace Herald.Cli.Tests;

/// <summary><c>herald serve</c> serves gRPC next to JSON-RPC; the client verbs speak it with <c>--binding grpc</c>.</summary>
public sealed partial class GrpcServeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Serve_Default_StartupLineNamesTheGrpcAddressAndTheCardListsIt()
    {
        await using var serve = await ServeAsync("--agent", "chunks");

        Assert.NotEqual(serve.Http.Port, serve.Grpc!.Port);
        var card = await ReadCardAsync(serve.Http);
        Assert.Equal(["JSONRPC", "JSONRPC", "HTTP+JSON", "JSONRPC", "HTTP+JSON", "GRPC", "GRPC"], card.SupportedInterfaces.Select(i => i.ProtocolBinding));
        // host:port, the target gRPC clients dial (grpc-js, Python's insecure_channel): they fail on an http:// URL.
        Assert.Equal($"127.0.0.1:{serve.Grpc.Port}", card.SupportedInterfaces[5].Url);
        Assert.Equal("1.0", card.SupportedInterfaces[5].ProtocolVersion);
        Assert.Equal("1.1", card.SupportedInterfaces[6].ProtocolVersion);
    }

    [Fact]
    public async Task Serve_GrpcUrlsOff_NeitherLineNorCardNameGrpc()
    {
        await using var serve = await ServeAsync("--grpc-urls", "off");

        Assert.Null(serve.Grpc);
        Assert.DoesNotContain("grpc=", serve.Line, StringComparison.Ordinal);
        Assert.Equal(["JSONRPC", "JSONRPC", "HTTP+JSON", "JSONRPC", "HTTP+JSON"], (await ReadCardAsync(serve.Http)).SupportedInterfaces.Select(i => i.ProtocolBinding));
    }

    [Theory]
    [InlineData("nonsense")]
    [InlineData("ftp://127.0.0.1:5078")]
    [InlineData("http://127.0.0.1")]
    [InlineData("http://[::1]")]
    public async Task Serve_InvalidGrpcUrls_FailsWithoutStarting(string value)
    {
        var run = await CliRun.RunAsync("serve", "--grpc-urls", value, "--store", "memory");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--grpc-urls", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Lines, l => l.StartsWith("Herald listening on", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http://127.0.0.1:5077", null, "http://127.0.0.1:5078")]
    [InlineData("http://127.0.0.1:0", null, "http://127.0.0.1:0")]
    [InlineData("http://localhost:8000;http://127.0.0.1:9000", null, "http://localhost:8001")]
    [InlineData("http://*:6000/a2a", null, "http://*:6001")]
    [InlineData("http://[::1]:7000", null, "http://[::1]:7001")]
    [InlineData("http://127.0.0.1:5077", "http://127.0.0.1:7000;https://0.0.0.0:7001", "http://127.0.0.1:7000 https://0.0.0.0:7001")]
    [InlineData("http://127.0.0.1:5077", "OFF", "")]
    public void Resolve_GrpcAddresses_DefaultIsTheFirstHttpAddressPortPlusOne(string urls, string? grpcUrls, string expected)
    {
        Assert.Equal(expected, string.Join(' ', GrpcServing.Resolve(urls, grpcUrls)));
    }

    [Fact]
    public async Task Send_BindingGrpc_StreamsEveryChunkWithItsEventId()
    {
        await using var serve = await ServeAsync("--agent", "chunks");

        var run = await CliRun.RunAsync("send", serve.Http.ToString(), "3 delay=0", "--stream", "--binding", "grpc", "--json");

        Assert.True(run.ExitCode == 0, run.Error);
        var events = run.JsonLines;
        Assert.Equal(Enumerable.Range(1, events.Length).Select(i => (long)i), events.Select(e => e.GetProperty("id").GetInt64()));
        Assert.Equal(3, events.Count(e => e.GetProperty("kind").GetString() == "artifactUpdate"));
        Assert.Equal("TASK_STATE_COMPLETED", events[^1].GetProperty("response").GetProperty("statusUpdate").GetProperty("status").GetProperty("state").GetString());
    }

    [Fact]
    public async Task GetAndSubscribe_BindingGrpc_SameTaskAsOverJsonRpc()
    {
        await using var serve = await ServeAsync("--agent", "chunks");
        var sent = await CliRun.RunAsync("send", serve.Http.ToString(), "2 delay=0", "--json");
        var taskId = sent.JsonLines[0].GetProperty("task").GetProperty("id").GetString()!;

        var overGrpc = await CliRun.RunAsync("get", serve.Http.ToString(), taskId, "--binding", "grpc", "--json");
        var overJsonRpc = await CliRun.RunAsync("get", serve.Http.ToString(), taskId, "--json");
        var replay = await CliRun.RunAsync("subscribe", serve.Http.ToString(), taskId, "--after", "1", "--binding", "grpc", "--json");

        Assert.True(overGrpc.ExitCode == 0, overGrpc.Error);
        Assert.Equal(overJsonRpc.Output, overGrpc.Output);
        Assert.True(replay.ExitCode == 0, replay.Error);
        Assert.Equal([2L, 3L, 4L, 5L], replay.JsonLines.Select(e => e.GetProperty("id").GetInt64()));
    }

    [Fact]
    public async Task Send_BindingGrpcAgainstServeWithoutGrpc_UnsupportedVersionExitNamingGrpc()
    {
        await using var serve = await ServeAsync("--grpc-urls", "off");

        var run = await CliRun.RunAsync("send", serve.Http.ToString(), "hi", "--binding", "grpc");

        Assert.Equal(ExitCodes.UnsupportedVersion, run.ExitCode);
        Assert.Contains("GRPC", run.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Serve_GrpcHealthService_ServingOnTheGrpcPort()
    {
        await using var serve = await ServeAsync();
        using var channel = GrpcChannel.ForAddress(serve.Grpc!);
        var health = new Health.HealthClient(channel);

        var reply = await health.CheckAsync(new HealthCheckRequest()).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    private static async Task<AgentCard> ReadCardAsync(Uri address)
    {
        using var http = new HttpClient();
        var json = await http.GetStringAsync(new Uri(address, ".well-known/agent-card.json")).WaitAsync(Timeout);
        return JsonSerializer.Deserialize(json, A2AJsonContext.Default.AgentCard)!;
    }

    private static async Task<Serving> ServeAsync(params string[] arguments)
    {
        var output = new LineWriter();
        var error = new StringWriter();
        var stop = new CancellationTokenSource();
        var run = HeraldCli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--store", "memory", .. arguments], output, error, stop.Token);
        var line = await output.ReadLineAsync(Timeout);
        var match = StartupLine().Match(line);
        Assert.True(match.Success, $"Unexpected startup line: {line} / {error}");
        var grpc = match.Groups["grpc"].Success ? new Uri(match.Groups["grpc"].Value + "/") : null;
        return new Serving(new Uri(match.Groups["url"].Value + "/"), grpc, line, stop, run);
    }

    private sealed record Serving(Uri Http, Uri? Grpc, string Line, CancellationTokenSource Stop, Task<int> Run) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Stop.CancelAsync();
            Assert.Equal(0, await Run.WaitAsync(Timeout));
            Stop.Dispose();
        }
    }

    [GeneratedRegex(@"^Herald listening on (?<url>http://[^ ,]+)(?:, grpc=(?<grpc>http://[^ ,]+))? \(agent: [a-z]+, store: [^)]+\)$")]
    private static partial Regex StartupLine();
}
