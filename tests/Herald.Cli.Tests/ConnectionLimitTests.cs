using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Herald.Cli.Commands;
using Herald.Cli.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Herald.Cli.Tests;

/// <summary>The connection limit of <c>herald serve</c>, in process: which connections it closes or refuses when full.</summary>
public sealed partial class ConnectionLimitTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Serve_FullOfIdleConnections_ClosesTheLongestIdleToServeANewRequest()
    {
        using var governed = new GovernorActions();
        await using var server = await InProcessServer.StartAsync(DemoAgent.Echo, maxConnections: 4);
        using var stop = new CancellationTokenSource(Timeout);
        var idle = new List<Socket>();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                idle.Add(await ConnectAsync(server.Address, stop.Token));
            }

            var closures = new PeerClosures(idle, stop.Token);

            using var http = new HttpClient { Timeout = Timeout };
            using var card = await http.GetAsync(new Uri(server.Address, ".well-known/agent-card.json"), stop.Token);

            Assert.Equal(HttpStatusCode.OK, card.StatusCode);
            // 10 idle + the probe, 4 held: at least 7 idle ones were closed to make room, and the meter says so.
            await closures.WhenAtLeastAsync(7).WaitAsync(Timeout);
            Assert.True(governed.Count("closed_idle") >= 7, $"herald.connections.governed counted {governed.Count("closed_idle")} closed_idle");
            Assert.Equal(0, governed.Count("refused"));
        }
        finally
        {
            idle.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Serve_FullOfBusyStreams_RefusesNewConnectionsAndKeepsTheStreams()
    {
        await using var server = await InProcessServer.StartAsync(DemoAgent.Chunks, maxConnections: 2);
        using var stop = new CancellationTokenSource(Timeout);
        using var first = await OpenStreamAsync(server.Address, stop.Token);
        using var second = await OpenStreamAsync(server.Address, stop.Token);
        await ReadArtifactAsync(first.Body);
        await ReadArtifactAsync(second.Body);

        using var newcomer = await ConnectAsync(server.Address, stop.Token);
        var closures = new PeerClosures([newcomer], stop.Token);
        await closures.WhenAtLeastAsync(1).WaitAsync(Timeout);
        using var http = new HttpClient { Timeout = Timeout };
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri(server.Address, ".well-known/agent-card.json"), stop.Token));

        // Neither stream was cut to make room: both go on.
        await ReadArtifactAsync(first.Body);
        await ReadArtifactAsync(second.Body);
    }

    [Fact]
    public void BuildApp_Limits_ConfiguresKestrelFromTheBudget()
    {
        var settings = new ServeSettings("http://127.0.0.1:0", DemoAgent.Echo, Store: ServeCommand.MemoryStore) { Limits = new ServeLimits { MaxConnections = 300 } };
        using var app = (IDisposable)ServeCommand.BuildApp(settings);

        var services = ((Microsoft.AspNetCore.Builder.WebApplication)app).Services;
        var limits = services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits;
        var budget = services.GetRequiredService<ConnectionBudget>();
        Assert.Equal(300, budget.MaxConnections);
        Assert.Equal(300, services.GetRequiredService<ConnectionGovernor>().Limit);
        Assert.Equal(budget.KestrelMaxConnections, limits.MaxConcurrentConnections);
        Assert.True(budget.AcceptLimit > 300);
        Assert.True(limits.MaxConcurrentConnections > budget.AcceptLimit);
        Assert.IsType<GatedListenerFactory>(services.GetServices<Microsoft.AspNetCore.Connections.IConnectionListenerFactory>().Last());
        Assert.Equal(budget.KestrelMaxConnections, limits.MaxConcurrentUpgradedConnections);
        Assert.Equal(TimeSpan.FromSeconds(10), limits.RequestHeadersTimeout);
        Assert.Equal(TimeSpan.FromSeconds(130), limits.KeepAliveTimeout);
        Assert.Equal(240, limits.MinRequestBodyDataRate!.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(5), limits.MinRequestBodyDataRate.GracePeriod);
        Assert.Equal(16 * 1024, limits.MinResponseDataRate!.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(10), limits.MinResponseDataRate.GracePeriod);
    }

    [Theory]
    [InlineData(1024UL, 160, 608, 648)]
    [InlineData(512UL, 160, 210, 224)]
    [InlineData(20_000UL, 160, 13_950, 14_880)]
    [InlineData(200UL, 160, 1, 9)]
    public void FromLimit_OpenFilesLimit_KeepsAQuarterOrAtLeast128DescriptorsFree(ulong openFiles, int openNow, int expectedMax, int expectedAccept)
    {
        var budget = ConnectionBudget.FromLimit(openFiles, openNow, requested: null);

        Assert.Equal(expectedMax, budget.MaxConnections);
        Assert.Equal(expectedAccept, budget.AcceptLimit);
        Assert.Equal(expectedMax, budget.SafeMaxConnections);
        Assert.True(budget.KestrelMaxConnections > budget.AcceptLimit);
        if (openFiles > 200)
        {
            // Even with every accept slot taken, 128 descriptors (or a quarter) stay free.
            Assert.True((ulong)(openNow + budget.AcceptLimit + 128) <= openFiles);
        }
    }

    [Fact]
    public void FromLimit_Requested_IsHonouredAboveTheSafeValueAndUnknownLimitFallsBack()
    {
        var requested = ConnectionBudget.FromLimit(1024, 160, requested: 5000);
        Assert.Equal(5000, requested.MaxConnections);
        Assert.True(requested.AcceptLimit > 5000);
        Assert.True(requested.KestrelMaxConnections > requested.AcceptLimit);
        Assert.Equal(608, requested.SafeMaxConnections);

        var unknown = ConnectionBudget.FromLimit(null, 0, requested: null);
        Assert.Equal(ConnectionBudget.FallbackMaxConnections, unknown.MaxConnections);
        Assert.Null(unknown.SafeMaxConnections);
    }

    [Theory]
    [InlineData("--max-connections", "0", "--max-connections must be at least 1")]
    [InlineData("--exec-max-line", "8", "--exec-max-line must be at least 16")]
    [InlineData("--exec-output-grace", "-1", "--exec-output-grace must be between 0 and 3600")]
    [InlineData("--exec-kill-grace", "9", "--exec-kill-grace must be between 0 and 4")]
    [InlineData("--write-stall-timeout", "0s", "--write-stall-timeout '0s' is not a positive duration")]
    [InlineData("--max-response-bytes-in-flight", "1000", "--max-response-bytes-in-flight must be at least 65536")]
    public async Task Serve_InvalidLimit_FailsWithoutStarting(string option, string value, string expectedError)
    {
        var output = new StringWriter();
        var error = new StringWriter();

        var exitCode = await HeraldCli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--store", "memory", option, value], output, error).WaitAsync(Timeout);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(expectedError, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(output.ToString().Split('\n'), l => l.StartsWith("Herald listening on", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Serve_Help_DocumentsTheLimitOptions()
    {
        var output = new StringWriter();

        Assert.Equal(0, await HeraldCli.RunAsync(["serve", "--help"], output).WaitAsync(Timeout));

        var help = output.ToString();
        Assert.Contains("--max-connections <N>", help, StringComparison.Ordinal);
        Assert.Contains("--exec-max-line <BYTES>", help, StringComparison.Ordinal);
        Assert.Contains("--exec-output-grace <SECONDS>", help, StringComparison.Ordinal);
        Assert.Contains("--exec-kill-grace <SECONDS>", help, StringComparison.Ordinal);
        Assert.Contains("--write-stall-timeout <DURATION>", help, StringComparison.Ordinal);
        Assert.Contains("--max-response-bytes-in-flight <BYTES>", help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_LimitOptions_ReachTheSettings()
    {
        // The exec options are read into the settings the agent gets: a 16-byte limit splits a 40-byte line.
        var output = new LineWriter();
        using var stop = new CancellationTokenSource();
        var run = HeraldCli.RunAsync(
            ["serve", "--urls", "http://127.0.0.1:0", "--store", "memory", "--max-connections", "7", "--exec-max-line", "16", "--", "/bin/sh", "-c", "printf '%040d\\n' 0"],
            output, new StringWriter(), stop.Token);
        try
        {
            var address = ParseAddress(await output.ReadLineAsync(Timeout));
            using var http = new HttpClient { Timeout = Timeout };
            using var request = JsonRpc(address, "SendMessage", """{"message":{"messageId":"m1","role":"ROLE_USER","parts":[{"text":""}]},"configuration":{"blocking":true}}""");
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();

            Assert.Contains("TASK_STATE_COMPLETED", body, StringComparison.Ordinal);
            Assert.Contains("{\"text\":\"0000000000000000\"},{\"text\":\"0000000000000000\"},{\"text\":\"00000000\\n\"}", body, StringComparison.Ordinal);
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(0, await run.WaitAsync(Timeout));
        }
    }

    private static async Task<Socket> ConnectAsync(Uri address, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, address.Port, cancellationToken);
        return socket;
    }

    private static async Task<OpenStream> OpenStreamAsync(Uri address, CancellationToken cancellationToken)
    {
        // One client per stream: each on a connection of its own.
        var http = new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        using var request = JsonRpc(address, "SendStreamingMessage", """{"message":{"messageId":"m1","role":"ROLE_USER","parts":[{"text":"1000 delay=200"}]}}""");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        return new OpenStream(http, response, new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken)));
    }

    private static HttpRequestMessage JsonRpc(Uri address, string method, string parameters)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, address)
        {
            Content = new StringContent($$"""{"jsonrpc":"2.0","id":1,"method":"{{method}}","params":{{parameters}}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("A2A-Version", "1.0");
        return request;
    }

    private static async Task ReadArtifactAsync(StreamReader body)
    {
        while (await body.ReadLineAsync().WaitAsync(Timeout) is { } line)
        {
            if (line.StartsWith("data:", StringComparison.Ordinal) && line.Contains("\"artifactUpdate\"", StringComparison.Ordinal))
            {
                return;
            }
        }

        throw new InvalidOperationException("The stream ended before the next artifact update.");
    }

    private static Uri ParseAddress(string line)
    {
        var match = StartupLine().Match(line);
        Assert.True(match.Success, $"unexpected startup line: {line}");
        return new Uri(match.Groups[1].Value.TrimEnd('/') + "/");
    }

    [GeneratedRegex(@"^Herald listening on (http://[^ ,]+)")]
    private static partial Regex StartupLine();

    private sealed class OpenStream(HttpClient http, HttpResponseMessage response, StreamReader body) : IDisposable
    {
        public StreamReader Body { get; } = body;

        public void Dispose()
        {
            Body.Dispose();
            response.Dispose();
            http.Dispose();
        }
    }

    /// <summary><c>herald serve</c> run in this process, stopped on dispose.</summary>
    private sealed class InProcessServer : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly Task<int> _run;

        private InProcessServer(CancellationTokenSource stop, Task<int> run, Uri address)
        {
            _stop = stop;
            _run = run;
            Address = address;
        }

        public Uri Address { get; }

        public static async Task<InProcessServer> StartAsync(DemoAgent agent, int maxConnections)
        {
            var settings = new ServeSettings("http://127.0.0.1:0", agent, Store: ServeCommand.MemoryStore) { Limits = new ServeLimits { MaxConnections = maxConnections } };
            var output = new LineWriter();
            var stop = new CancellationTokenSource();
            var run = ServeCommand.RunAsync(settings, output, new StringWriter(), stop.Token);
            return new InProcessServer(stop, run, ParseAddress(await output.ReadLineAsync(Timeout)));
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            Assert.Equal(0, await _run.WaitAsync(Timeout));
            _stop.Dispose();
        }
    }

    /// <summary>What the connection governor reported on Herald's meter while the test ran, by action.</summary>
    private sealed class GovernorActions : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _counts = new();

        public GovernorActions()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == Herald.Server.HeraldDiagnostics.Name && instrument.Name == "herald.connections.governed")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "herald.governor.action" && tag.Value is string action)
                    {
                        _counts.AddOrUpdate(action, value, (_, count) => count + value);
                    }
                }
            });
            _listener.Start();
        }

        public long Count(string action) => _counts.GetValueOrDefault(action);

        public void Dispose() => _listener.Dispose();
    }
}
