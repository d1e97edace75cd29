using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol;

/// <summary>One way to authenticate; exactly one member is set (proto oneof <c>scheme</c>).</summary>
public sealed record SecurityScheme
{
    public ApiKeySecurityScheme? ApiKeySecurityScheme { get; init; }

    public HttpAuthSecurityScheme? HttpAuthSecurityScheme { get; init; }

    public OAuth2SecurityScheme? Oauth2SecurityScheme { get; init; }

    public OpenIdConnectSecurityScheme? OpenIdConnectSecurityScheme { get; init; }

    public MutualTlsSecurityScheme? MtlsSecurityScheme { get; init; }
}

/// <summary>Schemes and scopes required together (proto <c>SecurityRequirement</c>).</summary>
public sealed record SecurityRequirement
{
    public Dictionary<string, StringList>? Schemes { get; init; }
}

/// <summary>A list of strings (proto <c>StringList</c>).</summary>
public sealed record StringList
{
    public IReadOnlyList<string> List { get; init => field = value ?? []; } = [];
}

public sealed record ApiKeySecurityScheme
{
    public string? Description { get; init; }

    public required string Location { get; init; }

    public required string Name { get; init; }
}

public sealed record HttpAuthSecurityScheme
{
    public string? Description { get; init; }

    public required string Scheme { get; init; }

    public string? BearerFormat { get; init; }
}

public sealed record OAuth2SecurityScheme
{
    public string? Description { get; init; }

    public required OAuthFlows Flows { get; init; }

    public string? Oauth2MetadataUrl { get; init; }
}

public sealed record OpenIdConnectSecurityScheme
{
    public string? Description { get; init; }

    public required string OpenIdConnectUrl { get; init; }
}

public sealed record MutualTlsSecurityScheme
{
    public string? Description { get; init; }
}

/// <summary>One OAuth 2.0 flow; exactly one member is set.</summary>
public sealed record OAuthFlows
{
    public AuthorizationCodeOAuthFlow? AuthorizationCode { get; init; }

    public ClientCredentialsOAuthFlow? ClientCredentials { get; init; }

    public ImplicitOAuthFlow? Implicit { get; init; }

    public PasswordOAuthFlow? Password { get; init; }

    public DeviceCodeOAuthFlow? DeviceCode { get; init; }
}

public sealed record AuthorizationCodeOAuthFlow
{
    public required string AuthorizationUrl { get; init; }

    public required string TokenUrl { get; init; }

    public string? RefreshUrl { get; init; }

    public Dictionary<string, string> Scopes { get; init => field = value ?? []; } = [];

    public bool? PkceRequired { get; init; }
}

public sealed record ClientCredentialsOAuthFlow
{
    public required string TokenUrl { get; init; }

    public string? RefreshUrl { get; init; }

    public Dictionary<string, string> Scopes { get; init => field = value ?? []; } = [];
}

public sealed record ImplicitOAuthFlow
{
    public string? AuthorizationUrl { get; init; }

    public string? RefreshUrl { get; init; }

    public Dictionary<string, string>? Scopes { get; init; }
}

public sealed record PasswordOAuthFlow
{
    public string? TokenUrl { get; init; }

    public string? RefreshUrl { get; init; }

    public Dictionary<string, string>? Scopes { get; init; }
}

public sealed record DeviceCodeOAuthFlow
{
    public required string DeviceAuthorizationUrl { get; init; }

    public required string TokenUrl { get; init; }

    public string? RefreshUrl { get; init; }

    public Dictionary<string, string> Scopes { get; init => field = value ?? []; } = [];
}
