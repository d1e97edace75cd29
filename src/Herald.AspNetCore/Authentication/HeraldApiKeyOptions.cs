using Microsoft.AspNetCore.Authentication;

namespace Herald.AspNetCore.Authentication;

/// <summary>
/// Settings of Herald's API key authentication (<c>AddHeraldApiKeys</c>): the keys, given here with <see cref="AddKey"/>
/// and/or read from <see cref="KeyFile"/>. A request that carries a known key in <see cref="HeraldApiKeyDefaults.HeaderName"/>
/// is authenticated as the key's principal (claim <c>sub</c>).
/// </summary>
public sealed class HeraldApiKeyOptions : AuthenticationSchemeOptions
{
    private readonly List<KeyValuePair<string, string>> _keys = [];

    /// <summary>
    /// A file of <c>principal:key</c> lines (the principal ends at the first <c>:</c>; blank lines and lines starting with
    /// <c>#</c> are ignored). Read once, when the scheme's options are first built; a malformed line fails start-up with
    /// its line number.
    /// </summary>
    public string? KeyFile { get; set; }

    /// <summary>The keys given with <see cref="AddKey"/>, principal first.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Keys => _keys;

    /// <summary>Accepts <paramref name="key"/> as <paramref name="principal"/>. A principal may have several keys (rotation).</summary>
    public HeraldApiKeyOptions AddKey(string principal, string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(principal);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        _keys.Add(new(principal, key));
        return this;
    }

    /// <summary>The keys in force (configured ones and the file's), built after configuration; null until then.</summary>
    internal ApiKeyTable? Table { get; set; }

    /// <summary>Why <see cref="Table"/> could not be built (a malformed key file), reported at start-up.</summary>
    internal string? LoadError { get; set; }
}
