using Herald.AspNetCore.Authentication;
using Herald.Protocol;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Herald.AspNetCore.Card;

/// <summary>
/// What the card says about security, derived from what the host configured: the authentication schemes registered
/// (JwtBearer: HTTP bearer with format JWT; Herald's API keys: apiKey in the X-API-Key header; Certificate: mutual TLS;
/// others are not declared, since the card could not describe them) and whether the JSON-RPC endpoint requires
/// authorization (its metadata, observed when the endpoint is built: <see cref="Observe"/>). Requirements are listed
/// only for schemes the endpoint checks, one alternative per scheme; schemes are listed when required, or when the
/// extended card is served (a client authenticates with one of them to get it). A host that declares
/// <c>securitySchemes</c> or <c>securityRequirements</c> in its card keeps its declarations.
/// </summary>
internal sealed class CardSecurity(IServiceProvider services, bool extendedCard)
{
    private const string JwtBearerHandler = "Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerHandler";
    private const string CertificateHandler = "Microsoft.AspNetCore.Authentication.Certificate.CertificateAuthenticationHandler";

    private volatile object[]? _endpointMetadata;

    /// <summary>Whether the card offers the extended card (a host configured one).</summary>
    public bool ExtendedCard => extendedCard;

    /// <summary>Records the JSON-RPC endpoint's final metadata (conventions the host added after <c>MapHerald</c> included).</summary>
    public void Observe(IList<object> metadata) => _endpointMetadata = [.. metadata];

    /// <summary>Whether the endpoints require an authorized caller (observed metadata: authorization data and no anonymous access).</summary>
    public bool RequiresAuthorization =>
        _endpointMetadata is { } metadata
        && !metadata.Any(m => m is IAllowAnonymous)
        && (metadata.Any(m => m is IAuthorizeData or AuthorizationPolicy) || HasFallbackPolicy(services));

    /// <summary>Whether the host set <c>AuthorizationOptions.FallbackPolicy</c>: it then applies to every endpoint without authorization metadata.</summary>
    public static bool HasFallbackPolicy(IServiceProvider services) =>
        services.GetService<IOptions<AuthorizationOptions>>()?.Value.FallbackPolicy is not null;

    /// <summary>The configured card with its security members filled in from the host's configuration.</summary>
    public AgentCard Apply(AgentCard configured)
    {
        if (configured.SecuritySchemes is not null || configured.SecurityRequirements is not null)
        {
            return configured;
        }

        var declared = DeclarableSchemes();
        var required = RequiresAuthorization ? CheckedSchemes().Where(declared.ContainsKey).ToList() : [];
        var listed = extendedCard ? declared : declared.Where(p => required.Contains(p.Key)).ToDictionary(StringComparer.Ordinal);
        return configured with
        {
            SecuritySchemes = listed.Count > 0 ? listed : null,
            SecurityRequirements = required.Count > 0
                ? [.. required.Select(name => new SecurityRequirement { Schemes = new(StringComparer.Ordinal) { [name] = new StringList() } })]
                : null,
        };
    }

    /// <summary>Whether the request is authenticated: by the default scheme (<c>HttpContext.User</c>) or one the card declares.</summary>
    public async Task<bool> IsAuthenticatedAsync(HttpContext context)
    {
        if (context.User.Identity?.IsAuthenticated == true)
        {
            return true;
        }

        foreach (var scheme in ChallengeSchemes())
        {
            if ((await context.AuthenticateAsync(scheme).ConfigureAwait(false)).Succeeded)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Challenges with every scheme a client may authenticate with (each adds its <c>WWW-Authenticate</c>).</summary>
    public async Task ChallengeAsync(HttpContext context)
    {
        foreach (var scheme in ChallengeSchemes())
        {
            await context.ChallengeAsync(scheme).ConfigureAwait(false);
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
    }

    private List<string> ChallengeSchemes()
    {
        var schemes = DeclarableSchemes().Keys.ToList();
        var options = services.GetService<IOptions<AuthenticationOptions>>()?.Value;
        if ((options?.DefaultChallengeScheme ?? options?.DefaultScheme) is { } fallback && !schemes.Contains(fallback))
        {
            schemes.Add(fallback);
        }

        return schemes;
    }

    /// <summary>The registered schemes the card can describe, by scheme name.</summary>
    private Dictionary<string, SecurityScheme> DeclarableSchemes()
    {
        var result = new Dictionary<string, SecurityScheme>(StringComparer.Ordinal);
        var options = services.GetService<IOptions<AuthenticationOptions>>()?.Value;
        foreach (var scheme in options?.Schemes ?? [])
        {
            if (Describe(scheme.HandlerType) is { } described)
            {
                result[scheme.Name] = described;
            }
        }

        return result;
    }

    private static SecurityScheme? Describe(Type? handler)
    {
        for (var type = handler; type is not null; type = type.BaseType)
        {
            if (type == typeof(ApiKeyAuthenticationHandler))
            {
                return new SecurityScheme
                {
                    ApiKeySecurityScheme = new ApiKeySecurityScheme { Location = "header", Name = HeraldApiKeyDefaults.HeaderName, Description = "An API key issued by the operator of this agent." },
                };
            }

            switch (type.FullName)
            {
                case JwtBearerHandler:
                    return new SecurityScheme { HttpAuthSecurityScheme = new HttpAuthSecurityScheme { Scheme = "Bearer", BearerFormat = "JWT" } };
                case CertificateHandler:
                    return new SecurityScheme { MtlsSecurityScheme = new MutualTlsSecurityScheme { Description = "A TLS client certificate." } };
            }
        }

        return null;
    }

    /// <summary>
    /// The schemes the endpoint's authorization authenticates with: those its authorization data and policies name, or
    /// when they name none (the usual <c>RequireAuthorization()</c>), the default policy's, else the default scheme.
    /// </summary>
    private List<string> CheckedSchemes()
    {
        var metadata = _endpointMetadata ?? [];
        var authorization = services.GetService<IOptions<AuthorizationOptions>>()?.Value;
        var schemes = new List<string>();
        void Add(IEnumerable<string> names)
        {
            foreach (var name in names.Select(n => n.Trim()).Where(n => n.Length > 0))
            {
                if (!schemes.Contains(name))
                {
                    schemes.Add(name);
                }
            }
        }

        foreach (var item in metadata)
        {
            if (item is IAuthorizeData data)
            {
                Add(data.AuthenticationSchemes?.Split(',') ?? []);
                if (data.Policy is { } name && authorization?.GetPolicy(name) is { } named)
                {
                    Add(named.AuthenticationSchemes);
                }
            }
            else if (item is AuthorizationPolicy policy)
            {
                Add(policy.AuthenticationSchemes);
            }
        }

        if (schemes.Count == 0 && authorization is not null)
        {
            Add(authorization.DefaultPolicy.AuthenticationSchemes);
        }

        if (schemes.Count == 0 && services.GetService<IOptions<AuthenticationOptions>>()?.Value is { } authentication
            && (authentication.DefaultAuthenticateScheme ?? authentication.DefaultScheme) is { } fallback)
        {
            schemes.Add(fallback);
        }

        return schemes;
    }
}
