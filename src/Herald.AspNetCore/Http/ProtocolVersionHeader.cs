using Herald.Protocol;
using Microsoft.AspNetCore.Http;

namespace Herald.AspNetCore.Http;

/// <summary>The <c>A2A-Version</c> service parameter of an HTTP request (spec 3.6, 11.2).</summary>
internal static class ProtocolVersionHeader
{
    public const string Name = "A2A-Version";

    /// <summary>The version the client asked for: the header, else the query parameter; empty when neither (which means 0.3).</summary>
    public static string Read(HttpRequest request)
    {
        var value = request.Headers[Name].ToString();
        if (string.IsNullOrWhiteSpace(value))
        {
            value = request.Query[Name].ToString();
        }

        return value.Trim();
    }

    /// <summary><c>1.0</c>, <c>1</c> or <c>1.0.x</c>: patch numbers do not count.</summary>
    public static bool IsV1(string version) => version is "1.0" or "1" || version.StartsWith("1.0.", StringComparison.Ordinal);

    /// <summary><c>1.1</c> or <c>1.1.x</c>: the A2A 1.1 draft, served as v1.0 plus its <c>generation</c> fields.</summary>
    public static bool IsV11(string version) => version is "1.1" || version.StartsWith("1.1.", StringComparison.Ordinal);

    /// <summary>VersionNotSupported (-32009) for <paramref name="requested"/>, naming what is spoken instead.</summary>
    public static A2AException NotSupported(string requested, IReadOnlyList<string> supported)
    {
        var what = string.IsNullOrEmpty(requested)
            ? "0.3 (assumed when no A2A-Version is sent)"
            : $"'{(requested.Length <= 40 ? requested : requested[..40] + "...")}'";
        return new A2AException(A2AErrorCodes.VersionNotSupported,
            $"A2A protocol version {what} is not supported; this endpoint speaks {string.Join(", ", supported)}. Send the header A2A-Version: {supported[0]}.")
        {
            Details = new Dictionary<string, string> { ["supportedVersions"] = string.Join(",", supported) },
        };
    }
}
