using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Herald.AspNetCore.Authentication;

/// <summary>
/// Authenticates a request by the key in its <c>X-API-Key</c> header: the principal is the key's owner, as the
/// <c>sub</c> claim (also the identity's name). No header: no result (another scheme may authenticate the request);
/// an unknown key: failure. The challenge is 401 with <c>WWW-Authenticate: ApiKey header="X-API-Key"</c>.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<HeraldApiKeyOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<HeraldApiKeyOptions>(options, logger, encoder)
{
    /// <summary>The claim the principal id travels in (the JWT convention, read first by Herald's caller resolution).</summary>
    public const string SubjectClaim = "sub";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var values = Request.Headers[HeraldApiKeyDefaults.HeaderName];
        if (values.Count == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (values.Count > 1 || string.IsNullOrWhiteSpace(values[0]))
        {
            return Task.FromResult(AuthenticateResult.Fail($"Send exactly one non-empty {HeraldApiKeyDefaults.HeaderName} header."));
        }

        var table = Options.Table ?? throw new InvalidOperationException(Options.LoadError ?? "The API keys were not loaded.");
        if (table.Find(values[0]!.Trim()) is not { } principal)
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        }

        var identity = new ClaimsIdentity([new Claim(SubjectClaim, principal)], Scheme.Name, SubjectClaim, ClaimTypes.Role);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 401;
        Response.Headers.Append(HeaderNames.WWWAuthenticate, new StringValues($"{Scheme.Name} header=\"{HeraldApiKeyDefaults.HeaderName}\""));
        return Task.CompletedTask;
    }
}
