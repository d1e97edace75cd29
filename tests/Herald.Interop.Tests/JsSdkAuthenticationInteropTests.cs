using System.Text.Json;
using Herald.Testing;

namespace Herald.Interop.Tests;

/// <summary>
/// The official @a2a-js/sdk 1.x client against `herald serve --auth bearer --jwt-key`, with a token from `herald token`
/// sent the way the SDK supports (its createAuthenticatingFetchWithRetry): the card is read without credentials, the
/// calls carry the token; without it, the server refuses them.
/// </summary>
public sealed class JsSdkAuthenticationInteropTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private string? _directory;
    private HeraldServeProcess? _server;
    private string _token = "";

    public async Task InitializeAsync()
    {
        await NpmPackages.EnsureInstalledAsync();
        _directory = Directory.CreateTempSubdirectory("herald-auth-interop-").FullName;
        var key = Path.Combine(_directory, "jwt.pem");
        var (code, stdout, stderr) = await ProcessRunner.RunAsync(
            HeraldServeProcess.DotnetHost(), [RepositoryPaths.HeraldDll, "token", "--key", key, "--sub", "js-client"], _directory, Timeout);
        Assert.True(code == 0, $"herald token exited with {code}: {stderr}");
        _token = stdout.Trim();
        _server = await HeraldServeProcess.StartAsync(RepositoryPaths.HeraldDll,
            ["--agent", "chunks", "--store", "memory", "--grpc-urls", "off", "--auth", "bearer", "--jwt-key", key], TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(string scenario, string transport, string? token) =>
        ProcessRunner.RunAsync("node", ["client.mjs", _server!.BaseAddress.ToString(), scenario, transport], RepositoryPaths.InteropJs, Timeout,
            token is null ? null : new Dictionary<string, string> { ["INTEROP_BEARER_TOKEN"] = token });

    [Theory]
    [InlineData("JSONRPC")]
    [InlineData("HTTP+JSON")]
    public async Task JsClient_WithBearerToken_SendsAndStreams(string transport)
    {
        foreach (var scenario in new[] { "send", "stream" })
        {
            var (code, stdout, stderr) = await RunAsync(scenario, transport, _token);

            Assert.True(code == 0, $"client.mjs {scenario} ({transport}) exited with {code}: {stderr}");
            var result = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]).RootElement;
            Assert.Equal(transport, result.GetProperty("transport").GetString());
            var state = result.TryGetProperty("state", out var sent) ? sent : result.GetProperty("finalState");
            Assert.Equal("TASK_STATE_COMPLETED", state.GetString());
        }
    }

    [Theory]
    [InlineData("JSONRPC")]
    [InlineData("HTTP+JSON")]
    public async Task JsClient_WithoutToken_Refused(string transport)
    {
        var (code, _, stderr) = await RunAsync("send", transport, token: null);

        Assert.Equal(1, code);
        Assert.Contains("401", stderr, StringComparison.Ordinal);
    }
}
