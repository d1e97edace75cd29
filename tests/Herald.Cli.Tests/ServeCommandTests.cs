using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Herald.Cli.Commands;
using Herald.Protocol;
using Herald.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Herald.Cli.Tests;

public sealed partial class ServeCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Serve_PortZero_PrintsBoundAddressServesAgentCardAndStopsOnCancel()
    {
        var output = new LineWriter();
        var error = new StringWriter();
        using var stop = new CancellationTokenSource();
        var run = HeraldCli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--agent", "chunks", "--store", "memory"], output, error, stop.Token);

        var line = await output.ReadLineAsync(Timeout);
        var address = ParseStartupLine(line, "chunks");
        Assert.NotEqual(0, address.Port);

        using var http = new HttpClient();
        var json = await http.GetStringAsync(new Uri(address, ".well-known/agent-card.json")).WaitAsync(Timeout);
        var card = JsonSerializer.Deserialize(json, A2AJsonContext.Default.AgentCard)!;
        Assert.Equal("Herald chunks agent", card.Name);
        Assert.Equal(["chunks", "ask"], card.Skills.Select(s => s.Id));
        Assert.Equal(
            [("JSONRPC", "1.0"), ("JSONRPC", "0.3"), ("HTTP+JSON", "1.0"), ("JSONRPC", "1.1"), ("HTTP+JSON", "1.1"), ("GRPC", "1.0"), ("GRPC", "1.1")],
            card.SupportedInterfaces.Select(i => (i.ProtocolBinding, i.ProtocolVersion)));
        Assert.All(card.SupportedInterfaces.Take(5), i => Assert.Equal(new Uri(address, "/").ToString(), i.Url));
        // The gRPC target as gRPC clients dial it: host:port, the card's host, its own port.
        var grpc = new Uri("http://" + card.SupportedInterfaces[5].Url);
        Assert.Equal($"{grpc.Host}:{grpc.Port}", card.SupportedInterfaces[5].Url);
        Assert.Equal(address.Host, grpc.Host);
        Assert.NotEqual(address.Port, grpc.Port);

        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(Timeout));
        Assert.Equal("", error.ToString());

        // Stopped means stopped: the port no longer accepts connections.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await Assert.ThrowsAsync<SocketException>(async () => await socket.ConnectAsync(address.Host, address.Port));
    }

    [Fact]
    public async Task Serve_PublicUrl_CardPointsThereWhateverTheHost()
    {
        var output = new LineWriter();
        using var stop = new CancellationTokenSource();
        var run = HeraldCli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--agent", "chunks", "--store", "memory", "--public-url", "https://agents.example.com/herald/"], output, new StringWriter(), stop.Token);
        var address = ParseStartupLine(await output.ReadLineAsync(Timeout), "chunks");

        using var http = new HttpClient();
        var json = await http.GetStringAsync(new Uri(address, ".well-known/agent.json")).WaitAsync(Timeout);
        using var card = JsonDocument.Parse(json);

        Assert.Equal("https://agents.example.com/herald/", card.RootElement.GetProperty("url").GetString());
        Assert.All(card.RootElement.GetProperty("supportedInterfaces").EnumerateArray(), i => Assert.Equal("https://agents.example.com/herald/", i.GetProperty("url").GetString()));
        Assert.DoesNotContain(card.RootElement.GetProperty("supportedInterfaces").EnumerateArray(), i => i.GetProperty("protocolBinding").GetString() == "GRPC");
        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Serve_GrpcPublicUrl_CardListsGrpcThere()
    {
        var output = new LineWriter();
        using var stop = new CancellationTokenSource();
        var run = HeraldCli.RunAsync(
            ["serve", "--urls", "http://127.0.0.1:0", "--agent", "chunks", "--store", "memory", "--public-url", "https://agents.example.com/", "--grpc-public-url", "https://grpc.agents.example.com:8443"],
            output, new StringWriter(), stop.Token);
        var address = ParseStartupLine(await output.ReadLineAsync(Timeout), "chunks");

        using var http = new HttpClient();
        var card = JsonSerializer.Deserialize(await http.GetStringAsync(new Uri(address, ".well-known/agent-card.json")).WaitAsync(Timeout), A2AJsonContext.Default.AgentCard)!;

        Assert.Equal(
            [("JSONRPC", "https://agents.example.com/"), ("JSONRPC", "https://agents.example.com/"), ("HTTP+JSON", "https://agents.example.com/"), ("JSONRPC", "https://agents.example.com/"), ("HTTP+JSON", "https://agents.example.com/"), ("GRPC", "https://grpc.agents.example.com:8443"), ("GRPC", "https://grpc.agents.example.com:8443")],
            card.SupportedInterfaces.Select(i => (i.ProtocolBinding, i.Url)));
        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(Timeout));
    }

    [Theory]
    [InlineData(new[] { "serve", "--agent", "exec" }, "needs a command after --")]
    [InlineData(new[] { "serve", "--agent", "echo", "--", "cat" }, "only used by --agent exec")]
    [InlineData(new[] { "serve", "--agent", "nope" }, "nope")]
    [InlineData(new[] { "serve", "--public-url", "agents.example.com" }, "--public-url 'agents.example.com' is not an absolute http or https URL")]
    [InlineData(new[] { "serve", "--public-url", "ftp://agents.example.com/" }, "--public-url")]
    [InlineData(new[] { "serve", "--grpc-public-url", "grpc.example.com:443" }, "--grpc-public-url 'grpc.example.com:443' is not an absolute http or https URL")]
    [InlineData(new[] { "serve", "--keep-alive", "0s" }, "--keep-alive '0s' is not a positive duration")]
    [InlineData(new[] { "serve", "--runner-lease", "soon" }, "--runner-lease 'soon' is not a positive duration")]
    [InlineData(new[] { "serve", "--maintenance-interval", "10" }, "--maintenance-interval '10' is not a positive duration")]
    [InlineData(new[] { "serve", "--role", "boss" }, "boss")]
    [InlineData(new[] { "serve", "--role", "api" }, "--role api needs a store shared with the other processes: a PostgreSQL database")]
    [InlineData(new[] { "serve", "--role", "worker", "--store", "memory" }, "--role worker needs a store shared with the other processes")]
    [InlineData(new[] { "serve", "--max-runs", "0" }, "--max-runs '0' is not a whole number of runs from 1 to 1000000")]
    [InlineData(new[] { "serve", "--max-runs", "two" }, "--max-runs 'two' is not a whole number")]
    [InlineData(new[] { "serve", "--max-runs", "-3" }, "--max-runs")]
    [InlineData(new[] { "serve", "--role", "api", "--max-runs", "2", "--store", "postgres://u@127.0.0.1:1/db" }, "--role api runs none")]
    public async Task Serve_InvalidArguments_FailsWithoutStarting(string[] args, string expectedError)
    {
        var output = new StringWriter();
        var error = new StringWriter();

        var exitCode = await HeraldCli.RunAsync(args, output, error).WaitAsync(Timeout);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(expectedError, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(output.ToString().Split('\n'), l => l.StartsWith("Herald listening on", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Serve_Help_DocumentsDefaultPortAndOptions()
    {
        var output = new StringWriter();

        Assert.Equal(0, await HeraldCli.RunAsync(["serve", "--help"], output).WaitAsync(Timeout));

        var help = output.ToString();
        Assert.Contains("http://127.0.0.1:5077", help, StringComparison.Ordinal);
        Assert.Contains("--urls", help, StringComparison.Ordinal);
        Assert.Contains("--agent <echo|chunks|exec>", help, StringComparison.Ordinal);
        Assert.Contains("--verbose", help, StringComparison.Ordinal);
        Assert.Contains("--metrics", help, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_TimingOptions_ReachHeraldOptions()
    {
        var timings = new ServeTimingOptions();
        var command = new System.CommandLine.Command("serve");
        timings.AddTo(command);

        var parsed = timings.Read(command.Parse(["--keep-alive", "1s", "--runner-lease", "3s", "--maintenance-interval", "500ms"]));
        var defaults = timings.Read(command.Parse([]));
        var settings = new ServeSettings("http://127.0.0.1:0", DemoAgent.Echo, Store: ServeCommand.MemoryStore) { Timings = parsed };
        using var app = (IDisposable)ServeCommand.BuildApp(settings);
        var options = ((WebApplication)app).Services.GetRequiredService<IOptions<HeraldOptions>>().Value;

        Assert.Equal(TimeSpan.FromSeconds(1), options.KeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(3), options.RunnerLeaseDuration);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.MaintenanceInterval);
        var library = new HeraldOptions();
        Assert.Equal((library.KeepAliveInterval, library.RunnerLeaseDuration, library.MaintenanceInterval), (defaults.KeepAlive, defaults.RunnerLease, defaults.MaintenanceInterval));
    }

    [Fact]
    public void Serve_CommandWithoutAgentOption_ServesExecCard()
    {
        var settings = new ServeSettings(ServeCommand.DefaultUrls, DemoAgent.Exec, new Agents.ExecCommand("/bin/sh", ["-c", "tr a-z A-Z"]));

        var card = ServeCommand.CardFor(settings);

        Assert.Equal("Herald exec agent", card.Name);
        Assert.Contains("/bin/sh -c 'tr a-z A-Z'", card.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_AsProcess_SigtermCancelsRunningTaskEndsStreamAndExitsZero()
    {
        var herald = Path.Combine(AppContext.BaseDirectory, "herald.dll");
        Assert.True(File.Exists(Path.ChangeExtension(herald, ".runtimeconfig.json")), "herald.runtimeconfig.json must be copied next to the tests");
        var startInfo = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var directory = new TempDirectory();
        foreach (var arg in new[] { herald, "serve", "--urls", "http://127.0.0.1:0", "--agent", "chunks", "--store", Path.Combine(directory.Path, "herald.db") })
        {
            startInfo.ArgumentList.Add(arg);
        }

        using var process = Process.Start(startInfo)!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(Timeout);
            var address = ParseStartupLine(line ?? "(end of output)", "chunks");

            using var http = new HttpClient { Timeout = Timeout };
            using var request = new HttpRequestMessage(HttpMethod.Post, address)
            {
                Content = new StringContent(
                    """{"jsonrpc":"2.0","id":7,"method":"SendStreamingMessage","params":{"message":{"messageId":"m1","role":"ROLE_USER","parts":[{"text":"1000 delay=1000"}]}}}""",
                    Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("A2A-Version", "1.0");
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(Timeout);
            response.EnsureSuccessStatusCode();
            using var body = new StreamReader(await response.Content.ReadAsStreamAsync());

            // Wait until the agent is streaming, then ask the server to stop as Ctrl+C / a service manager would.
            await ReadDataUntilAsync(body, data => data.Contains("\"artifactUpdate\"", StringComparison.Ordinal));
            Signal(process.Id, "TERM");

            var last = await ReadDataUntilAsync(body, data => data.Contains("TASK_STATE_", StringComparison.Ordinal) && !data.Contains("TASK_STATE_WORKING", StringComparison.Ordinal));
            Assert.Contains("TASK_STATE_CANCELED", last, StringComparison.Ordinal);
            Assert.Empty(await ReadRemainingDataAsync(body));

            await process.WaitForExitAsync().WaitAsync(Timeout);
            Assert.Equal(0, process.ExitCode);
            // The one thing on stderr: the warning that this server authenticates nobody.
            var warning = Assert.Single((await stderr.WaitAsync(Timeout)).Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("[3004] No authentication", warning, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static Uri ParseStartupLine(string line, string agent)
    {
        var match = StartupLine().Match(line);
        Assert.True(match.Success, $"unexpected startup line: {line}");
        Assert.Equal(agent, match.Groups["agent"].Value);
        return new Uri(match.Groups["url"].Value.TrimEnd('/') + "/");
    }

    private static async Task<string> ReadDataUntilAsync(StreamReader body, Func<string, bool> predicate)
    {
        while (await body.ReadLineAsync().WaitAsync(Timeout) is { } line)
        {
            if (line.StartsWith("data:", StringComparison.Ordinal) && predicate(line))
            {
                return line;
            }
        }

        throw new InvalidOperationException("The stream ended before the expected event.");
    }

    /// <summary>The data lines left before the server closes the stream.</summary>
    private static async Task<List<string>> ReadRemainingDataAsync(StreamReader body)
    {
        var data = new List<string>();
        while (await body.ReadLineAsync().WaitAsync(Timeout) is { } line)
        {
            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Add(line);
            }
        }

        return data;
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture) } })!;
        Assert.True(kill.WaitForExit(Timeout), "kill did not return");
        Assert.Equal(0, kill.ExitCode);
    }

    [GeneratedRegex(@"^Herald listening on (?<url>http://[^ ,]+)(?:, [^ ]+)* \(agent: (?<agent>[a-z]+), store: (?<store>[^)]+)\)$")]
    private static partial Regex StartupLine();
}
