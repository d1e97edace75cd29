using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Herald.AspNetCore.Authentication;
using Herald.Protocol;
using Herald.Server;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Herald.AspNetCore.Tests;

/// <summary>
/// Authentication the ASP.NET Core way: MapHerald(...).RequireAuthorization() with API keys or JwtBearer; the card stays
/// open and tells what is required; the extended card is for authenticated callers.
/// </summary>
public sealed class AuthenticationTests
{
    private const string AliceKey = "alice-key-0123456789";
    private static readonly SymmetricSecurityKey SigningKey = new(RandomNumberGenerator.GetBytes(32));
    private static readonly AgentCard Extended = new() { Name = "Extended agent", Description = "Only for callers we know." };

    private sealed class Host(WebApplication app, HttpClient client, TestLoggerProvider logs) : IAsyncDisposable
    {
        public string Logs => string.Join("\n", logs.Entries.Select(e => e.ToString()));

        public HttpClient Client => client;

        public IServiceProvider Services => app.Services;

        public async ValueTask DisposeAsync()
        {
            client.Dispose();
            await app.StopAsync().Within();
            await app.DisposeAsync();
        }
    }

    private static async Task<Host> StartAsync(bool apiKeys = false, bool jwt = false, bool require = true, Action<HeraldOptions>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var logs = new TestLoggerProvider();
        builder.Logging.AddProvider(logs);
        builder.Services.AddHerald(configure).AddAgent((c, ct) => c.CompleteAsync(cancellationToken: ct).AsTask());
        if (apiKeys || jwt)
        {
            var authentication = builder.Services.AddAuthentication();
            var schemes = new List<string>();
            if (jwt)
            {
                authentication.AddJwtBearer(o => o.TokenValidationParameters = new TokenValidationParameters
                {
                    IssuerSigningKey = SigningKey,
                    ValidateIssuer = false,
                    ValidateAudience = false,
                    ClockSkew = TimeSpan.Zero,
                });
                schemes.Add(JwtBearerDefaults.AuthenticationScheme);
            }

            if (apiKeys)
            {
                authentication.AddHeraldApiKeys(o => o.AddKey("alice", AliceKey));
                schemes.Add(HeraldApiKeyDefaults.AuthenticationScheme);
            }

            builder.Services.AddAuthorization(o => o.DefaultPolicy = new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder([.. schemes]).RequireAuthenticatedUser().Build());
        }

        var app = builder.Build();
        var endpoints = app.MapHerald("/");
        if (require)
        {
            endpoints.RequireAuthorization();
        }

        await app.StartAsync().Within();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new Host(app, new HttpClient { BaseAddress = new Uri(address.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) }, logs);
    }

    private static string Token(string subject, TimeSpan lifetime, SecurityKey? key = null)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object> { ["sub"] = subject },
            IssuedAt = now - TimeSpan.FromHours(2),
            NotBefore = now - TimeSpan.FromHours(2),
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(key ?? SigningKey, SecurityAlgorithms.HmacSha256),
        });
    }

    private static HttpRequestMessage Rpc(string method, string parameters = "{}", string? apiKey = null, string? bearer = null, string version = "1.0")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "")
        {
            Content = new StringContent($$"""{"jsonrpc":"2.0","id":1,"method":"{{method}}","params":{{parameters}}}""", Encoding.UTF8, "application/json"),
        };
        Authorize(request, apiKey, bearer);
        request.Headers.Remove("A2A-Version");
        request.Headers.Add("A2A-Version", version);
        return request;
    }

    private static void Authorize(HttpRequestMessage request, string? apiKey, string? bearer)
    {
        request.Headers.TryAddWithoutValidation("A2A-Version", "1.0");
        if (apiKey is not null)
        {
            request.Headers.Add("X-API-Key", apiKey);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new("Bearer", bearer);
        }
    }

    private const string Send = """{"message":{"messageId":"m1","role":"ROLE_USER","parts":[{"text":"hi"}]}}""";

    private static async Task<int> CountTasksAsync(Host host)
    {
        using var response = await host.Client.SendAsync(Rpc("ListTasks", apiKey: AliceKey)).Within();
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return json.GetProperty("result").TryGetProperty("tasks", out var tasks) ? tasks.GetArrayLength() : 0;
    }

    private static async Task<JsonElement> CardAsync(Host host)
    {
        using var response = await host.Client.GetAsync(".well-known/agent-card.json").Within();
        Assert.True(HttpStatusCode.OK == response.StatusCode, host.Logs);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact]
    public async Task JsonRpc_NoApiKey_401WithChallengeAndNoTask()
    {
        await using var host = await StartAsync(apiKeys: true);

        using var response = await host.Client.SendAsync(Rpc("SendMessage", Send)).Within();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("ApiKey header=\"X-API-Key\"", response.Headers.WwwAuthenticate.Select(h => h.ToString()));
        Assert.Equal(0, await CountTasksAsync(host));
    }

    [Theory]
    [InlineData("wrong-key")]
    [InlineData("alice-key-012345678")] // a prefix of the real key
    public async Task JsonRpc_WrongApiKey_401(string key)
    {
        await using var host = await StartAsync(apiKeys: true);

        using var response = await host.Client.SendAsync(Rpc("SendMessage", Send, apiKey: key)).Within();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, await CountTasksAsync(host));
    }

    [Fact]
    public async Task JsonRpcAndRest_ValidApiKey_Served()
    {
        await using var host = await StartAsync(apiKeys: true);

        using var rpc = await host.Client.SendAsync(Rpc("SendMessage", Send, apiKey: AliceKey)).Within();
        Assert.True(HttpStatusCode.OK == rpc.StatusCode, await rpc.Content.ReadAsStringAsync());
        Assert.Equal("TASK_STATE_COMPLETED", JsonDocument.Parse(await rpc.Content.ReadAsStringAsync()).RootElement
            .GetProperty("result").GetProperty("task").GetProperty("status").GetProperty("state").GetString());

        using var rest = new HttpRequestMessage(HttpMethod.Post, "./message:send") { Content = new StringContent(Send, Encoding.UTF8, "application/json") };
        Authorize(rest, AliceKey, null);
        using var restResponse = await host.Client.SendAsync(rest).Within();
        Assert.Equal(HttpStatusCode.OK, restResponse.StatusCode);
        Assert.Equal(2, await CountTasksAsync(host));
    }

    [Fact]
    public async Task Rest_NoCredentials_401WithChallengeAndNoTask()
    {
        await using var host = await StartAsync(apiKeys: true, jwt: true);

        using var sendRequest = new HttpRequestMessage(HttpMethod.Post, "./message:send") { Content = new StringContent(Send, Encoding.UTF8, "application/json") };
        Authorize(sendRequest, null, null);
        using var send = await host.Client.SendAsync(sendRequest).Within();
        using var listRequest = new HttpRequestMessage(HttpMethod.Get, "tasks");
        Authorize(listRequest, null, null);
        using var list = await host.Client.SendAsync(listRequest).Within();

        Assert.Equal(HttpStatusCode.Unauthorized, send.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, list.StatusCode);
        var challenges = send.Headers.WwwAuthenticate.Select(h => h.Scheme).ToList();
        Assert.Contains("Bearer", challenges);
        Assert.Contains("ApiKey", challenges);
        Assert.Equal(0, await CountTasksAsync(host));
    }

    [Fact]
    public async Task Jwt_ValidToken_Served_ExpiredOrWronglySigned_401()
    {
        await using var host = await StartAsync(jwt: true);

        using var valid = await host.Client.SendAsync(Rpc("SendMessage", Send, bearer: Token("alice", TimeSpan.FromMinutes(5)))).Within();
        using var expired = await host.Client.SendAsync(Rpc("SendMessage", Send, bearer: Token("alice", -TimeSpan.FromMinutes(1)))).Within();
        using var forged = await host.Client.SendAsync(Rpc("SendMessage", Send, bearer: Token("alice", TimeSpan.FromMinutes(5), new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32))))).Within();

        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.StartsWith("Bearer", expired.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Card_OpenServer_DeclaresNoSecurity()
    {
        await using var host = await StartAsync(require: false);

        var card = await CardAsync(host);

        Assert.False(card.TryGetProperty("securitySchemes", out _));
        Assert.False(card.TryGetProperty("securityRequirements", out _));
        Assert.False(card.TryGetProperty("security", out _));
        Assert.False(card.GetProperty("capabilities").GetProperty("extendedAgentCard").GetBoolean());
    }

    [Fact]
    public async Task Card_JwtBearerRequired_ServedWithoutCredentialsAndDeclaresBearer()
    {
        await using var host = await StartAsync(jwt: true);

        var card = await CardAsync(host);

        var scheme = card.GetProperty("securitySchemes").GetProperty("Bearer");
        Assert.Equal("Bearer", scheme.GetProperty("httpAuthSecurityScheme").GetProperty("scheme").GetString());
        Assert.Equal("JWT", scheme.GetProperty("httpAuthSecurityScheme").GetProperty("bearerFormat").GetString());
        Assert.Equal("http", scheme.GetProperty("type").GetString()); // v0.3's members
        Assert.Equal("""[{"schemes":{"Bearer":{"list":[]}}}]""", card.GetProperty("securityRequirements").GetRawText());
        Assert.Equal("""[{"Bearer":[]}]""", card.GetProperty("security").GetRawText());
        using var legacyPath = await host.Client.GetAsync(".well-known/agent.json").Within();
        Assert.Equal(HttpStatusCode.OK, legacyPath.StatusCode);
    }

    [Fact]
    public async Task Card_ApiKeysRequired_DeclaresApiKeyInHeader()
    {
        await using var host = await StartAsync(apiKeys: true);

        var card = await CardAsync(host);

        var scheme = card.GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal("header", scheme.GetProperty("apiKeySecurityScheme").GetProperty("location").GetString());
        Assert.Equal("X-API-Key", scheme.GetProperty("apiKeySecurityScheme").GetProperty("name").GetString());
        Assert.Equal(("apiKey", "header", "X-API-Key"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("in").GetString(), scheme.GetProperty("name").GetString()));
        Assert.Equal("""[{"ApiKey":[]}]""", card.GetProperty("security").GetRawText());
    }

    [Fact]
    public async Task Card_SchemesRegisteredButNotRequired_ListsNoRequirement()
    {
        // Authentication registered, endpoints open: nothing is checked, so nothing is listed.
        await using var host = await StartAsync(apiKeys: true, require: false);

        var card = await CardAsync(host);

        Assert.False(card.TryGetProperty("securityRequirements", out _));
        Assert.False(card.TryGetProperty("securitySchemes", out _));
    }

    [Fact]
    public async Task Card_HostDeclaredSecurity_Kept()
    {
        var declared = new Dictionary<string, SecurityScheme> { ["oidc"] = new() { OpenIdConnectSecurityScheme = new() { OpenIdConnectUrl = "https://login.example.com/.well-known/openid-configuration" } } };
        await using var host = await StartAsync(jwt: true, configure: o => o.Card = o.Card with { SecuritySchemes = declared });

        var card = await CardAsync(host);

        Assert.Equal(["oidc"], card.GetProperty("securitySchemes").EnumerateObject().Select(p => p.Name));
        Assert.False(card.TryGetProperty("securityRequirements", out _));
    }

    [Fact]
    public async Task ExtendedCard_NeedsAuthentication_OnEveryHttpBinding()
    {
        await using var host = await StartAsync(apiKeys: true, require: false, configure: o => o.ExtendedCard = Extended);

        var card = await CardAsync(host);
        Assert.True(card.GetProperty("capabilities").GetProperty("extendedAgentCard").GetBoolean());
        Assert.True(card.GetProperty("supportsAuthenticatedExtendedCard").GetBoolean());
        Assert.True(card.GetProperty("securitySchemes").TryGetProperty("ApiKey", out _)); // how to authenticate for it
        Assert.False(card.TryGetProperty("securityRequirements", out _)); // the rest is open

        using var anonymous = await host.Client.SendAsync(Rpc("GetExtendedAgentCard")).Within();
        Assert.True(HttpStatusCode.Unauthorized == anonymous.StatusCode, await anonymous.Content.ReadAsStringAsync());
        Assert.Contains("ApiKey header=\"X-API-Key\"", anonymous.Headers.WwwAuthenticate.Select(h => h.ToString()));
        Assert.Equal(A2AErrorCodes.InvalidRequest, JsonDocument.Parse(await anonymous.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetInt32());

        using var wrong = await host.Client.SendAsync(Rpc("GetExtendedAgentCard", apiKey: "wrong")).Within();
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        using var v1 = await host.Client.SendAsync(Rpc("GetExtendedAgentCard", apiKey: AliceKey)).Within();
        var v1Card = JsonDocument.Parse(await v1.Content.ReadAsStringAsync()).RootElement.GetProperty("result");
        Assert.Equal("Extended agent", v1Card.GetProperty("name").GetString());
        Assert.True(v1Card.GetProperty("capabilities").GetProperty("extendedAgentCard").GetBoolean());
        Assert.NotEmpty(v1Card.GetProperty("supportedInterfaces").EnumerateArray());

        using var v03 = await host.Client.SendAsync(Rpc("agent/getAuthenticatedExtendedCard", apiKey: AliceKey, version: "0.3")).Within();
        Assert.Equal("Extended agent", JsonDocument.Parse(await v03.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetProperty("name").GetString());
        using var v03Anonymous = await host.Client.SendAsync(Rpc("agent/getAuthenticatedExtendedCard", version: "0.3")).Within();
        Assert.Equal(HttpStatusCode.Unauthorized, v03Anonymous.StatusCode);

        using var restAnonymousRequest = new HttpRequestMessage(HttpMethod.Get, "extendedAgentCard");
        Authorize(restAnonymousRequest, null, null);
        using var restAnonymous = await host.Client.SendAsync(restAnonymousRequest).Within();
        Assert.Equal(HttpStatusCode.Unauthorized, restAnonymous.StatusCode);
        Assert.Equal("UNAUTHENTICATED", JsonDocument.Parse(await restAnonymous.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("status").GetString());
        using var rest = new HttpRequestMessage(HttpMethod.Get, "extendedAgentCard");
        Authorize(rest, AliceKey, null);
        using var restResponse = await host.Client.SendAsync(rest).Within();
        Assert.Equal("Extended agent", JsonDocument.Parse(await restResponse.Content.ReadAsStringAsync()).RootElement.GetProperty("name").GetString());
    }

    [Fact]
    public async Task ExtendedCard_WithoutAuthentication_MapHeraldRefuses()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(configure: o => o.ExtendedCard = Extended));

        Assert.Contains("AddAuthentication", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiKeyFile_MalformedLine_FailsStartWithLineNumber()
    {
        using var directory = new TempDirectory();
        var file = Path.Combine(directory.Path, "keys");
        await File.WriteAllTextAsync(file, "# operators\nalice:k1\n\nbob-without-key\n");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddAuthentication().AddHeraldApiKeys(o => o.KeyFile = file);
        await using var app = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync()).Within();

        Assert.Contains("line 4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiKeyFile_KeysAndComments_AuthenticatesAsPrincipal()
    {
        using var directory = new TempDirectory();
        var file = Path.Combine(directory.Path, "keys");
        await File.WriteAllTextAsync(file, "# operators\n\n  bob : bob-secret  \n");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication(HeraldApiKeyDefaults.AuthenticationScheme).AddHeraldApiKeys(o => o.KeyFile = file);
        builder.Services.AddAuthorization();
        await using var app = builder.Build();
        app.MapGet("/who", (System.Security.Claims.ClaimsPrincipal user) => $"{user.FindFirst("sub")?.Value}|{user.Identity?.Name}").RequireAuthorization();
        await app.StartAsync().Within();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        using var request = new HttpRequestMessage(HttpMethod.Get, "/who");
        request.Headers.Add("X-API-Key", "bob-secret");
        using var response = await client.SendAsync(request).Within();

        Assert.Equal("bob|bob", await response.Content.ReadAsStringAsync());
        await app.StopAsync().Within();
    }
}
