using System.Text.Json;
using Herald.Testing;

namespace Herald.Interop.Tests;

/// <summary>
/// One `herald serve --agent chunks` process shared by the interop tests, and the @a2a-js/sdk client
/// installed from the committed lockfile (npm ci) when it is not installed yet.
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
    /// Runs one scenario of client.mjs against the server, preferring <paramref name="transport"/> (<c>JSONRPC</c> or
    /// <c>HTTP+JSON</c>), and returns the JSON object it prints.
    /// </summary>
    public async Task<JsonElement> RunClientAsync(string scenario, string transport = "JSONRPC")
    {
        var (code, stdout, stderr) = await ProcessRunner.RunAsync(
            "node", ["client.mjs", BaseAddress.ToString(), scenario, transport], RepositoryPaths.InteropJs, NodeTimeout);
        Assert.True(code == 0, $"client.mjs {scenario} ({transport}) exited with {code}: {stderr}");
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
