using System.Globalization;

namespace Herald.Client;

/// <summary>Protocol version strings compared as <c>Major.Minor</c> (spec 3.6: patch numbers do not count).</summary>
internal static class ProtocolVersions
{
    public const string V1 = "1.0";
    public const string V03 = "0.3";

    /// <summary><c>1</c>, <c>1.0</c>, <c>1.0.2</c> → <c>1.0</c>; empty → <c>0.3</c> (spec 3.6.2).</summary>
    public static string Normalize(string? version)
    {
        var text = version?.Trim() ?? "";
        if (text.Length == 0)
        {
            return V03;
        }

        if (text.StartsWith('v') || text.StartsWith('V'))
        {
            text = text[1..];
        }

        var parts = text.Split('.');
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major))
        {
            return text;
        }

        var minor = 0;
        if (parts.Length > 1 && !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out minor))
        {
            return text;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{major}.{minor}");
    }
}
