using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Herald.Testing;

namespace Herald.Cli.Tests;

/// <summary><c>herald serve</c> as a separate process, where only a process can show it: open-files limits, signals, leftovers.</summary>
public sealed class ServeProcessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static string HeraldDll => Path.Combine(AppContext.BaseDirectory, "herald.dll");

    [Fact]
    public async Task Serve_ConnectionFloodBeyondOpenFilesLimit_StaysUpAndAnswersProbesDuringAndAfter()
    {
        // Before the limit, 1,100 idle connections against 1,024 descriptors killed the process ("Out of memory.").
        const int OpenFiles = 512;
        const int Flood = 800;
        await using var server = await HeraldServeProcess.StartAsync(
            HeraldDll, ["--agent", "echo"], Timeout, launcher: ["prlimit", $"--nofile={OpenFiles}:{OpenFiles}", "--"]);
        Assert.Equal(OpenFiles, OpenFilesLimit(server.Id));
        using var stop = new CancellationTokenSource(Timeout);
        var flood = new List<Socket>();
        try
        {
            for (var i = 0; i < Flood; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                flood.Add(socket);
                await socket.ConnectAsync(IPAddress.Loopback, server.BaseAddress.Port, stop.Token);
            }

            var closures = new PeerClosures(flood, stop.Token);

            // Held: every flood connection is open on our side, and the server answers a new client anyway.
            await ProbeAsync(server);
            Assert.True(OpenDescriptors(server.Id) < OpenFiles, $"the server has {OpenDescriptors(server.Id)} descriptors open, its limit is {OpenFiles}");

            // It kept no more than its limit allows: the rest were closed or refused, not held until it died.
            await closures.WhenAtLeastAsync(Flood - OpenFiles).WaitAsync(Timeout);
            Assert.False(server.HasExited, "the server exited during the flood:\n" + server.StandardErrorTail);
        }
        finally
        {
            flood.ForEach(s => s.Dispose());
        }

        await ProbeAsync(server);
        await server.SignalAsync("TERM", Timeout);
        Assert.Equal(0, await server.WaitForExitAsync(Timeout));
    }

    [Fact]
    public async Task Serve_SigtermWhileExecCommandRuns_KillsOrphansAndSetsidGrandchildren()
    {
        const string Script = "(sleep 300 & echo $!); (setsid sleep 300 & echo $!); echo ready; wait";
        await using var server = await HeraldServeProcess.StartAsync(HeraldDll, ["--agent", "exec", "--", "/bin/sh", "-c", Script], Timeout);
        using var http = new HttpClient { Timeout = Timeout };
        using var request = ReplicaTests.Rpc(server.BaseAddress, "SendStreamingMessage", """{"message":{"messageId":"m1","role":"ROLE_USER","parts":[{"text":""}]}}""");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var body = new StreamReader(await response.Content.ReadAsStreamAsync());
        var pids = new List<int>();
        while (await ReadArtifactTextAsync(body) is var text && text != "ready\n")
        {
            pids.Add(int.Parse(text, CultureInfo.InvariantCulture));
        }

        Assert.Equal(2, pids.Count);
        Assert.All(pids, pid => Assert.True(ProcessProbe.IsRunning(pid)));

        await server.SignalAsync("TERM", Timeout);

        Assert.Equal(0, await server.WaitForExitAsync(Timeout));
        Assert.True(pids.All(pid => !ProcessProbe.IsRunning(pid)), "still running after the server stopped: " + ProcessProbe.Describe(pids));
    }

    [Fact]
    public async Task Serve_ExecCommandPrintsAnEndlessLine_StreamsItInBoundedMemory()
    {
        // A 64 MiB GC heap limit: the server must stream (and store) twice that much of one endless line without running out.
        const long HeapLimit = 64L * 1024 * 1024;
        const long Streamed = 2 * HeapLimit;
        await using var server = await HeraldServeProcess.StartAsync(
            HeraldDll, ["--agent", "exec", "--grpc-urls", "off", "--", "/bin/sh", "-c", "yes | tr -d '\\n'"], Timeout,
            launcher: ["env", $"DOTNET_GCHeapHardLimit=0x{HeapLimit:X}"]);
        using var http = new HttpClient { Timeout = Timeout };
        using var request = ReplicaTests.Rpc(server.BaseAddress, "SendStreamingMessage", """{"message":{"messageId":"m1","role":"ROLE_USER","parts":[{"text":""}]}}""");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64 * 1024];
        long received = 0;
        var chunks = 0;
        using var stop = new CancellationTokenSource(Timeout);
        while (received < Streamed)
        {
            var n = await body.ReadAsync(buffer, stop.Token);
            Assert.True(n > 0, $"the stream ended after {received:N0} bytes:\n{server.StandardErrorTail}");
            received += n;
            chunks += CountOf(buffer.AsSpan(0, n), "artifactUpdate"u8);
        }

        await server.SignalAsync("TERM", Timeout);

        Assert.Equal(0, await server.WaitForExitAsync(Timeout));
        Assert.DoesNotContain("OutOfMemory", server.StandardErrorTail, StringComparison.Ordinal);
        Assert.True(chunks > 1000, $"only {chunks} chunks in {received:N0} bytes");
    }

    private static int CountOf(ReadOnlySpan<byte> text, ReadOnlySpan<byte> word)
    {
        var count = 0;
        for (var at = text.IndexOf(word); at >= 0; at = text.IndexOf(word) is var next and >= 0 ? next : -1)
        {
            count++;
            text = text[(at + word.Length)..];
        }

        return count;
    }

    private static async Task ProbeAsync(HeraldServeProcess server)
    {
        using var http = new HttpClient { Timeout = Timeout };
        using var response = await http.GetAsync(new Uri(server.BaseAddress, ".well-known/agent-card.json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var card = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Herald echo agent", card.RootElement.GetProperty("name").GetString());
    }

    private static async Task<string> ReadArtifactTextAsync(StreamReader body)
    {
        while (await body.ReadLineAsync().WaitAsync(Timeout) is { } line)
        {
            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                using var data = JsonDocument.Parse(line["data:".Length..]);
                if (data.RootElement.GetProperty("result").TryGetProperty("artifactUpdate", out var update))
                {
                    return string.Concat(update.GetProperty("artifact").GetProperty("parts").EnumerateArray().Select(p => p.GetProperty("text").GetString()));
                }
            }
        }

        throw new InvalidOperationException("The stream ended before the next artifact update.");
    }

    private static int OpenFilesLimit(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        return int.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3], CultureInfo.InvariantCulture);
    }

    private static int OpenDescriptors(int pid) => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
}
