using System.Text.Json;
using Herald.Testing;

namespace Herald.Interop.Tests;

/// <summary>
/// One `herald serve --agent chunks` process shared by the interop tests, and the @a2a-js/sdk clients (1.x and,
/// as the npm alias a2a-js-sdk-03, 0.3.x) installed from the committed lockfile (npm ci) when they are not yet:
/// both generations of the official client drive the same running server.
/// </summary>
public sealed class JsSdkFixture : IAsyncLifetime
{
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(90);
    private HeraldServeProcess? _server;

    public Uri BaseAddress => _server?.BaseAddress ?? throw new InvalidOperationException("The server is not started.");

    public async Task InitializeAsync()
    {
        await NpmPackages.EnsureInstalledAsync();
        _server = await HeraldServeProcess.StartAsync(RepositoryPaths.HeraldDll, ["--agent", "chunks"], TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>
    /// Runs one scenario of client.mjs (the SDK's 1.x client) against the server, preferring <paramref name="transport"/>
    /// (<c>JSONRPC</c> or <c>HTTP+JSON</c>), and returns the JSON object it prints.
    /// </summary>
    public Task<JsonElement> RunClientAsync(string scenario, string transport = "JSONRPC") =>
        RunScriptAsync("client.mjs", [scenario, transport], $"{scenario} ({transport})");

    /// <summary>Runs one scenario of client-v03.mjs (the SDK's 0.3.x client, JSON-RPC) against the same server.</summary>
    public Task<JsonElement> RunV03ClientAsync(string scenario) => RunScriptAsync("client-v03.mjs", [scenario], scenario);

    /// <summary>
    /// Runs one scenario of tutorial-client.mjs (a client that reads SSE exactly as the first A2A tutorial's client
    /// does, no SDK) against the same server's JSON-RPC endpoint, and returns its summary object.
    /// </summary>
    public Task<JsonElement> RunTutorialClientAsync(string scenario, string text) =>
        RunScriptAsync("tutorial-client.mjs", [scenario, text], scenario);

    private async Task<JsonElement> RunScriptAsync(string script, string[] arguments, string what)
    {
        var (code, stdout, stderr) = await ProcessRunner.RunAsync(
            "node", [script, BaseAddress.ToString(), .. arguments], RepositoryPaths.InteropJs, NodeTimeout);
        Assert.True(code == 0, $"{script} {what} exited with {code}: {stderr}");
        var lastLine = stdout.TrimEnd().Split('\n')[^1];
        using var document = JsonDocument.Parse(lastLine);
        return document.RootElement.Clone();
    }
}

[CollectionDefinition(Name)]
public sealed class JsSdkCollection : ICollectionFixture<JsSdkFixture>
{
    public const string Name = "js-sdk";
}
