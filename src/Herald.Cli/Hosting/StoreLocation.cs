using System.Text.RegularExpressions;
using Npgsql;

namespace Herald.Cli.Hosting;

/// <summary>What kind of store a <c>--store</c> value names.</summary>
internal enum StoreKind
{
    Memory,
    Sqlite,
    Postgres,
}

/// <summary>
/// A <c>--store</c> value understood: <c>memory</c>, a PostgreSQL URL (<c>postgres://user:pass@host:port/db</c> or
/// <c>postgresql://...</c>) or Npgsql connection string (<c>Host=...;Database=...</c>), or else a SQLite file path.
/// A value with any other <c>scheme://</c> is refused rather than taken for a file name.
/// </summary>
/// <param name="Kind">The store.</param>
/// <param name="Target">The SQLite path, or the Npgsql connection string.</param>
/// <param name="Description">How the startup line names it (never with a password).</param>
internal sealed partial record StoreLocation(StoreKind Kind, string Target, string Description)
{
    public const string Accepted =
        "a SQLite database file path, 'memory', a postgres://user:password@host:port/database (or postgresql://) URL, or an Npgsql connection string (Host=...;Database=...)";

    /// <summary>Reads a <c>--store</c> value; false with a message for the user when it names no store Herald has.</summary>
    public static bool TryParse(string text, out StoreLocation? location, out string? error)
    {
        location = null;
        error = null;
        if (string.Equals(text, "memory", StringComparison.OrdinalIgnoreCase))
        {
            location = new StoreLocation(StoreKind.Memory, text, "memory");
            return true;
        }

        try
        {
            if (Scheme().Match(text) is { Success: true } scheme)
            {
                var name = scheme.Groups[1].Value.ToLowerInvariant();
                if (name is not ("postgres" or "postgresql"))
                {
                    error = $"--store '{text}': '{name}://' is not a store Herald has. Use {Accepted}.";
                    return false;
                }

                location = Postgres(FromUrl(text));
                return true;
            }

            if (LooksLikeConnectionString().IsMatch(text))
            {
                location = Postgres(new NpgsqlConnectionStringBuilder(text));
                return true;
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or UriFormatException or KeyNotFoundException)
        {
            error = $"--store '{Redact(text)}' is not a valid PostgreSQL URL or connection string ({ex.Message}). Use {Accepted}.";
            return false;
        }

        location = new StoreLocation(StoreKind.Sqlite, text, Path.GetFullPath(text));
        return true;
    }

    /// <summary>postgres://user:password@host:port/database?key=value (keys as in Npgsql connection strings, or libpq's sslmode).</summary>
    private static NpgsqlConnectionStringBuilder FromUrl(string text)
    {
        var uri = new Uri(text);
        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host.Length > 0 ? uri.Host : "localhost" };
        if (!uri.IsDefaultPort && uri.Port > 0)
        {
            builder.Port = uri.Port;
        }

        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            builder[key.Equals("sslmode", StringComparison.OrdinalIgnoreCase) ? "SSL Mode" : key] = value;
        }

        return builder;
    }

    private static StoreLocation Postgres(NpgsqlConnectionStringBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Host))
        {
            throw new ArgumentException("no host");
        }

        var user = string.IsNullOrEmpty(builder.Username) ? "" : builder.Username + "@";
        return new StoreLocation(StoreKind.Postgres, builder.ConnectionString, $"postgres://{user}{builder.Host}:{builder.Port}/{builder.Database}");
    }

    /// <summary>The value without what follows a password key or the user info of a URL, for error messages.</summary>
    private static string Redact(string text) => Password().Replace(UserInfo().Replace(text, "://***@"), "$1***");

    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9+.\-]*)://")]
    private static partial Regex Scheme();

    [GeneratedRegex(@"(^|;)\s*(host|server)\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex LooksLikeConnectionString();

    [GeneratedRegex(@"://[^@/]*@")]
    private static partial Regex UserInfo();

    [GeneratedRegex(@"((?:password|pwd)\s*=)[^;]*", RegexOptions.IgnoreCase)]
    private static partial Regex Password();
}
