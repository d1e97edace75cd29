using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Herald.Server;
using Herald.Server.Agents;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.AspNetCore.Tests;

/// <summary>Herald on real Kestrel at 127.0.0.1 on a free port, with a test agent; stopped on dispose.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<TestServer> StartAsync(
        Func<AgentContext, CancellationToken, Task> agent,
        Action<HeraldOptions>? configure = null,
        string pattern = "/")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddHerald(o => configure?.Invoke(o)).AddAgent(agent);
        var app = builder.Build();
        app.MapHerald(pattern);
        await app.StartAsync();
        var address = app.Urls.First();
        return new TestServer(app, new Uri(address.TrimEnd('/') + "/"));
    }

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public static string Envelope(string method, string paramsJson, string id = "1") =>
        $$"""{"jsonrpc":"2.0","id":{{id}},"method":"{{method}}","params":{{paramsJson}}}""";

    public static string SendParams(string text, string extra = "") =>
        "{\"message\":{\"messageId\":\"" + Guid.NewGuid().ToString("N") + "\",\"role\":\"ROLE_USER\",\"parts\":[{\"text\":\"" + text + "\"}]" + extra + "}}";

    public static HttpRequestMessage Request(string body, string path = "", string? version = "1.0", long? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (version is not null)
        {
            request.Headers.Add("A2A-Version", version);
        }

        if (lastEventId is { } id)
        {
            request.Headers.Add("Last-Event-ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return request;
    }

    /// <summary>Posts a JSON-RPC request and returns the JSON response document.</summary>
    public async Task<JsonElement> CallAsync(string method, string paramsJson, string? version = "1.0")
    {
        using var response = await Http.SendAsync(Request(Envelope(method, paramsJson), version: version));
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    /// <summary>Opens an SSE stream (headers read, body not yet consumed).</summary>
    public async Task<SseStream> OpenStreamAsync(string method, string paramsJson, long? lastEventId = null, string id = "1")
    {
        var response = await Http.SendAsync(Request(Envelope(method, paramsJson, id), lastEventId: lastEventId), HttpCompletionOption.ResponseHeadersRead);
        return new SseStream(response);
    }

    public static MediaTypeHeaderValue? ContentType(HttpResponseMessage response) => response.Content.Headers.ContentType;
}
