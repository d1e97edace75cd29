using System.Security.Cryptography;
using System.Text;

namespace Herald.AspNetCore.Authentication;

/// <summary>
/// The accepted keys, held as SHA-256 hashes: a presented key is hashed and compared with every entry in constant time
/// (<see cref="CryptographicOperations.FixedTimeEquals"/>), so neither the comparison nor the number of entries tried
/// tells how much of a key was right.
/// </summary>
internal sealed class ApiKeyTable
{
    private readonly (byte[] Hash, string Principal)[] _entries;

    private ApiKeyTable((byte[] Hash, string Principal)[] entries) => _entries = entries;

    public int Count => _entries.Length;

    public string? Find(string presented)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        string? found = null;
        foreach (var (entryHash, principal) in _entries)
        {
            // Every entry is compared, a match or not, so the time does not depend on where the key is.
            if (CryptographicOperations.FixedTimeEquals(hash, entryHash))
            {
                found ??= principal;
            }
        }

        return found;
    }

    /// <summary>Builds the table from configured pairs and the lines of a key file; the error names the file and line.</summary>
    public static ApiKeyTable? TryBuild(IEnumerable<KeyValuePair<string, string>> configured, string? file, out string? error)
    {
        error = null;
        var pairs = new List<(string Principal, string Key, string Source)>();
        foreach (var (principal, key) in configured)
        {
            pairs.Add((principal.Trim(), key.Trim(), "a configured key"));
        }

        if (file is not null)
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                error = $"The API key file '{file}' cannot be read: {ex.Message}";
                return null;
            }

            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i].Trim();
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }

                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var principal = colon > 0 ? line[..colon].Trim() : "";
                var key = colon > 0 ? line[(colon + 1)..].Trim() : "";
                if (principal.Length == 0 || key.Length == 0)
                {
                    // The line is not quoted: it may hold a key.
                    error = $"The API key file '{file}', line {i + 1}: expected 'principal:key' (a non-empty principal, a colon, a non-empty key).";
                    return null;
                }

                pairs.Add((principal, key, $"line {i + 1} of '{file}'"));
            }
        }

        if (pairs.Count == 0)
        {
            error = file is null
                ? "No API keys are configured: add keys (AddKey) or a key file (KeyFile)."
                : $"The API key file '{file}' holds no keys.";
            return null;
        }

        var byKey = new Dictionary<string, (string Principal, string Source)>(StringComparer.Ordinal);
        foreach (var (principal, key, source) in pairs)
        {
            if (byKey.TryGetValue(key, out var earlier) && earlier.Principal != principal)
            {
                error = $"The same API key is given to '{earlier.Principal}' ({earlier.Source}) and to '{principal}' ({source}): a key must name one principal.";
                return null;
            }

            byKey[key] = (principal, source);
        }

        return new ApiKeyTable([.. byKey.Select(p => (SHA256.HashData(Encoding.UTF8.GetBytes(p.Key)), p.Value.Principal))]);
    }
}
