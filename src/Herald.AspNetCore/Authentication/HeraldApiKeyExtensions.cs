using Herald.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

// In the DI namespace, like AddJwtBearer's builder, so no extra using is needed.
#pragma warning disable IDE0130
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Registers Herald's API key authentication.</summary>
public static class HeraldApiKeyExtensions
{
    /// <summary>
    /// Adds the <c>ApiKey</c> scheme (<see cref="HeraldApiKeyDefaults.AuthenticationScheme"/>): clients send a key in the
    /// <c>X-API-Key</c> header and are authenticated as its principal (claim <c>sub</c>). Keys are checked at start-up
    /// (a malformed key file fails it) and compared in constant time. The agent card served by <c>MapHerald</c> declares
    /// the scheme.
    /// </summary>
    public static AuthenticationBuilder AddHeraldApiKeys(this AuthenticationBuilder builder, Action<HeraldApiKeyOptions> configure) =>
        builder.AddHeraldApiKeys(HeraldApiKeyDefaults.AuthenticationScheme, configure);

    /// <summary>Adds Herald's API key authentication under the scheme name <paramref name="authenticationScheme"/>.</summary>
    public static AuthenticationBuilder AddHeraldApiKeys(this AuthenticationBuilder builder, string authenticationScheme, Action<HeraldApiKeyOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(authenticationScheme);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<HeraldApiKeyOptions>, ApiKeyOptionsSetup>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HeraldApiKeyOptions>, ApiKeyOptionsSetup>());
        builder.Services.AddOptions<HeraldApiKeyOptions>(authenticationScheme).ValidateOnStart();
        return builder.AddScheme<HeraldApiKeyOptions, ApiKeyAuthenticationHandler>(authenticationScheme, "API key", configure);
    }
}
