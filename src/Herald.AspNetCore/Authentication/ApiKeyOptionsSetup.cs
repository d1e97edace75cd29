using Microsoft.Extensions.Options;

namespace Herald.AspNetCore.Authentication;

/// <summary>Builds the key table once the options are configured, and fails validation (at start-up) when it cannot.</summary>
internal sealed class ApiKeyOptionsSetup : IPostConfigureOptions<HeraldApiKeyOptions>, IValidateOptions<HeraldApiKeyOptions>
{
    public void PostConfigure(string? name, HeraldApiKeyOptions options)
    {
        options.Table = ApiKeyTable.TryBuild(options.Keys, options.KeyFile, out var error);
        options.LoadError = error;
    }

    public ValidateOptionsResult Validate(string? name, HeraldApiKeyOptions options) =>
        options.LoadError is { } error ? ValidateOptionsResult.Fail(error) : ValidateOptionsResult.Success;
}
