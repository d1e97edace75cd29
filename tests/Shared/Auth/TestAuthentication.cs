using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Testing;

/// <summary>
/// A test authentication scheme: <c>Authorization: Test alice</c> (or <c>Test alice@acme</c> for a tenant claim) authenticates
/// principal <c>alice</c>; no header is anonymous and is challenged with 401 <c>WWW-Authenticate: Test</c>. With
/// <see cref="AddTestAuthentication"/> every endpoint requires an authenticated user unless it allows anonymous callers.
/// </summary>
public sealed class TestAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Test";

    public static void AddTestAuthentication(IServiceCollection services)
    {
        services.AddAuthentication(SchemeName).AddScheme<AuthenticationSchemeOptions, TestAuthenticationHandler>(SchemeName, null);
        services.AddAuthorization(o => o.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
    }

    /// <summary>The header value that authenticates <paramref name="principal"/> (with a tenant claim when given).</summary>
    public static string Header(string principal, string? tenant = null) => SchemeName + " " + principal + (tenant is null ? "" : "@" + tenant);

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith(SchemeName + " ", StringComparison.Ordinal))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var value = header[(SchemeName.Length + 1)..].Trim();
        var at = value.IndexOf('@', StringComparison.Ordinal);
        var claims = new List<Claim> { new("sub", at < 0 ? value : value[..at]) };
        if (at >= 0)
        {
            claims.Add(new Claim("tenant", value[(at + 1)..]));
        }

        var identity = new ClaimsIdentity(claims, SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 401;
        Response.Headers.WWWAuthenticate = SchemeName;
        return Task.CompletedTask;
    }
}
