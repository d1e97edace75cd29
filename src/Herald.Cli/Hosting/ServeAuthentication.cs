using Herald.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Herald.Cli.Hosting;

/// <summary>How <c>herald serve</c> authenticates callers (<c>--auth bearer</c>, <c>--api-key-file</c>); none by default.</summary>
/// <param name="JwtAuthority">An OIDC authority whose keys sign the accepted tokens.</param>
/// <param name="JwtAudience">The audience tokens must name (required with an authority; optional with a local key).</param>
/// <param name="JwtKey">A local EC P-256 PEM key (<see cref="JwtSigningKey"/>) whose tokens are accepted.</param>
/// <param name="ApiKeyFile">A file of <c>principal:key</c> lines.</param>
internal sealed record ServeAuthentication(Uri? JwtAuthority = null, string? JwtAudience = null, string? JwtKey = null, string? ApiKeyFile = null)
{
    public bool Bearer => JwtAuthority is not null || JwtKey is not null;

    public bool Required => Bearer || ApiKeyFile is not null;

    /// <summary>How the startup line names it.</summary>
    public string Description => string.Join(" + ", new[]
    {
        JwtAuthority is not null ? $"bearer JWT from {JwtAuthority}" : null,
        JwtKey is not null ? $"bearer JWT signed with {Path.GetFullPath(JwtKey)}" : null,
        ApiKeyFile is not null ? $"API keys from {Path.GetFullPath(ApiKeyFile)}" : null,
    }.Where(s => s is not null));

    /// <summary>Registers the schemes and a default policy that accepts any of them.</summary>
    /// <exception cref="InvalidDataException">The local key cannot be read.</exception>
    public void Configure(WebApplicationBuilder builder)
    {
        if (!Required)
        {
            return;
        }

        // Bearer tokens and API keys protect nothing with data protection; ephemeral keys keep the host from creating and
        // persisting a key ring (and warning about it on stderr).
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        var authentication = builder.Services.AddAuthentication();
        var schemes = new List<string>();
        if (Bearer)
        {
            var key = JwtKey is not null ? JwtSigningKey.Load(JwtKey) : null;
            authentication.AddJwtBearer(o =>
            {
                if (JwtAuthority is { } authority)
                {
                    o.Authority = authority.ToString();
                    o.Audience = JwtAudience;
                    o.RequireHttpsMetadata = authority.Scheme == Uri.UriSchemeHttps;
                    return;
                }

                o.TokenValidationParameters = new TokenValidationParameters
                {
                    IssuerSigningKey = key,
                    ValidAlgorithms = [JwtSigningKey.Algorithm],
                    ValidateIssuer = false, // the key is the trust: whoever holds it issues tokens
                    ValidateAudience = JwtAudience is not null,
                    ValidAudience = JwtAudience,
                    ValidateLifetime = true,
                    RequireExpirationTime = true,
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
            });
            schemes.Add(JwtBearerDefaults.AuthenticationScheme);
        }

        if (ApiKeyFile is not null)
        {
            authentication.AddHeraldApiKeys(o => o.KeyFile = ApiKeyFile);
            schemes.Add(HeraldApiKeyDefaults.AuthenticationScheme);
        }

        // Any of the configured schemes will do; a refused request is challenged by each (one WWW-Authenticate per scheme).
        builder.Services.AddAuthorization(o => o.DefaultPolicy = new AuthorizationPolicyBuilder([.. schemes]).RequireAuthenticatedUser().Build());
    }

    /// <summary>Is <paramref name="text"/> an authority URL: https, or http on a loopback host (a local test identity provider).</summary>
    public static bool IsAuthorityUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback));
}
