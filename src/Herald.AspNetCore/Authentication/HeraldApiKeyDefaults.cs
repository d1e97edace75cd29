namespace Herald.AspNetCore.Authentication;

/// <summary>Names used by Herald's API key authentication.</summary>
public static class HeraldApiKeyDefaults
{
    /// <summary>The default authentication scheme name.</summary>
    public const string AuthenticationScheme = "ApiKey";

    /// <summary>The request header clients send their key in.</summary>
    public const string HeaderName = "X-API-Key";
}
