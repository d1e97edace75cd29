using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Herald.Cli.Commands;
using Herald.Cli.Hosting;

namespace Herald.Cli.Tests;

/// <summary><c>herald serve --auth bearer --jwt-key</c> / <c>--api-key-file</c> with tokens from <c>herald token</c>, end to end.</summary>
public sealed partial class ServeAuthenticationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private const string Send = """{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"m1","role":"ROLE_USER","parts":[{"text":"hi"}]}}}""";

    private static async Task<string> TokenAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(0, await HeraldCli.RunAsync(["token", .. args], output, error).WaitAsync(Timeout));
        return output.ToString().Trim();
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient http, Uri address, string? token = null, string? apiKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, address) { Content = new StringContent(Send, Encoding.UTF8, "application/json") };
        request.Headers.Add("A2A-Version", "1.0");
        if (token is not null)
        {
            request.Headers.Authorization = new("Bearer", token);
        }

        if (apiKey is not null)
        {
            request.Headers.Add("X-API-Key", apiKey);
        }

        return await http.SendAsync(request).WaitAsync(Timeout);
    }

    [Fact]
    public async Task Serve_JwtKey_AcceptsHeraldTokenRefusesOthers_CardDeclaresBearer_GrpcToo()
    {
        using var directory = new TempDirectory();
        var key = Path.Combine(directory.Path, "jwt.pem");
        var token = await TokenAsync("--key", key, "--sub", "alice", "--tenant", "acme");
        Assert.True(File.Exists(key));
        var otherKey = Path.Combine(directory.Path, "other.pem");
        var forged = await TokenAsync("--key", otherKey, "--sub", "alice");
        var expired = TokenCommand.Create(JwtSigningKey.Load(key), "alice", null, null, -TimeSpan.FromMinutes(5), TimeProvider.System);

        var output = new LineWriter();
        using var stop = new CancellationTokenSource();
        var run = HeraldCli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--store", "memory", "--auth", "bearer", "--jwt-key", key], output, new StringWriter(), stop.Token);
        try
        {
            var match = StartupLine().Match(await output.ReadLineAsync(Timeout));
            Assert.True(match.Success);
            var address = new Uri(match.Groups["url"].Value);
            using var http = new HttpClient { Timeout = Timeout };

            using (var anonymous = await PostAsync(http, address))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
                Assert.Equal("Bearer", Assert.Single(anonymous.Headers.WwwAuthenticate).Scheme);
            }

            using (var wrong = await PostAsync(http, address, forged))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            }

            using (var old = await PostAsync(http, address, expired))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
            }

            using (var valid = await PostAsync(http, address, token))
            {
                Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
                Assert.Contains("\"result\"", await valid.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            // The card and /healthz stay open; the card says what is required.
            var card = JsonDocument.Parse(await http.GetStringAsync(new Uri(address, ".well-known/agent-card.json")).WaitAsync(Timeout)).RootElement;
            Assert.Equal("""[{"Bearer":[]}]""", card.GetProperty("security").GetRawText());
            Assert.Equal("JWT", card.GetProperty("securitySchemes").GetProperty("Bearer").GetProperty("bearerFormat").GetString());
            using (var health = await http.GetAsync(new Uri(address, "healthz")).WaitAsync(Timeout))
            {
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            }

            // gRPC: UNAUTHENTICATED without the token (the client reports it as a 401), served with it.
            var listOut = new StringWriter();
            var listError = new StringWriter();
            Assert.Equal(ExitCodes.Error, await HeraldCli.RunAsync(["list", address.ToString(), "--binding", "grpc"], listOut, listError).WaitAsync(Timeout));
            Assert.Contains("requires authentication", listError.ToString(), StringComparison.Ordinal);
            Assert.Equal(0, await HeraldCli.RunAsync(["list", address.ToString(), "--binding", "grpc", "--token", token], new StringWriter(), new StringWriter()).WaitAsync(Timeout));
            Assert.Equal(0, await HeraldCli.RunAsync(["list", address.ToString(), "--binding", "rest", "--token", token], new StringWriter(), new StringWriter()).WaitAsync(Timeout));
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(0, await run.WaitAsync(Timeout));
        }
    }

    [Fact]
    public async Task Serve_ApiKeyFile_AcceptsKeyRefusesWrongOne()
    {
        using var directory = new TempDirectory();
        var keys = Path.Combine(directory.Path, "keys");
        await File.WriteAllTextAsync(keys, "# team\nalice:alice-secret-1\n\nbob:bob-secret-2\n");

        var output = new LineWriter();
        using var stop = new CancellationTokenSource();
        var run = HeraldCli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--grpc-urls", "off", "--store", "memory", "--api-key-file", keys], output, new StringWriter(), stop.Token);
        try
        {
            var address = new Uri(StartupLine().Match(await output.ReadLineAsync(Timeout)).Groups["url"].Value);
            using var http = new HttpClient { Timeout = Timeout };

            using (var wrong = await PostAsync(http, address, apiKey: "alice-secret-"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
                Assert.Equal("ApiKey header=\"X-API-Key\"", Assert.Single(wrong.Headers.WwwAuthenticate).ToString());
            }

            using (var valid = await PostAsync(http, address, apiKey: "bob-secret-2"))
            {
                Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
            }

            Assert.Equal(0, await HeraldCli.RunAsync(["list", address.ToString(), "--api-key", "alice-secret-1"], new StringWriter(), new StringWriter()).WaitAsync(Timeout));
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(0, await run.WaitAsync(Timeout));
        }
    }

    [Fact]
    public async Task Serve_MalformedApiKeyFile_RefusesToStartNamingTheLine()
    {
        using var directory = new TempDirectory();
        var keys = Path.Combine(directory.Path, "keys");
        await File.WriteAllTextAsync(keys, "alice:one\n# comment\nno-colon-here\n");
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await HeraldCli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--grpc-urls", "off", "--store", "memory", "--api-key-file", keys], output, error).WaitAsync(Timeout);

        Assert.Equal(1, code);
        Assert.Contains("line 3", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Herald listening on", output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--jwt-key", "k.pem", "--jwt-key needs --auth bearer")]
    [InlineData("--auth", "bearer", "--auth bearer needs either --jwt-authority")]
    [InlineData("--auth bearer --jwt-authority https://login.example.com/", "", "--jwt-authority needs --jwt-audience")]
    [InlineData("--auth bearer --jwt-authority http://login.example.com/ --jwt-audience a", "", "is not an https URL")]
    [InlineData("--auth bearer --jwt-key /nonexistent/k.pem", "", "does not exist")]
    [InlineData("--auth basic", "", "basic")]
    public async Task Serve_AuthenticationOptions_InvalidCombinationsRefused(string first, string second, string expected)
    {
        var args = new List<string> { "serve", "--store", "memory" };
        args.AddRange(first.Split(' '));
        if (second.Length > 0)
        {
            args.Add(second);
        }

        var error = new StringWriter();
        var code = await HeraldCli.RunAsync([.. args], new StringWriter(), error).WaitAsync(Timeout);

        Assert.Equal(1, code);
        Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_ReusesItsKeyAndCarriesClaims()
    {
        using var directory = new TempDirectory();
        var key = Path.Combine(directory.Path, "jwt.pem");

        var first = await TokenAsync("--key", key, "--sub", "alice", "--tenant", "acme", "--audience", "herald", "--lifetime", "10m");
        var second = await TokenAsync("--key", key, "--sub", "bob");

        var claims = JsonDocument.Parse(Base64UrlDecode(first.Split('.')[1])).RootElement;
        Assert.Equal(("alice", "acme", "herald"), (claims.GetProperty("sub").GetString(), claims.GetProperty("tenant").GetString(), claims.GetProperty("aud").GetString()));
        Assert.Equal(600, claims.GetProperty("exp").GetInt64() - claims.GetProperty("iat").GetInt64());
        var header = JsonDocument.Parse(Base64UrlDecode(first.Split('.')[0])).RootElement;
        Assert.Equal("ES256", header.GetProperty("alg").GetString());
        Assert.Equal(header.GetProperty("kid").GetString(), JsonDocument.Parse(Base64UrlDecode(second.Split('.')[0])).RootElement.GetProperty("kid").GetString());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        }
    }

    private static byte[] Base64UrlDecode(string text) => Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(text);

    [GeneratedRegex(@"^Herald listening on (?<url>http://[^ ,]+)")]
    private static partial Regex StartupLine();
}
