using System.Globalization;
using Grpc.Core;
using Herald.Grpc.Conversion;
using Herald.Protocol;

namespace Herald.Grpc.Service;

/// <summary>Service parameters (spec 3.2.6 and 10.2) and the resumption key, read from the call's request metadata.</summary>
internal static class GrpcServiceParameters
{
    private const string VersionKey = "a2a-version";
    private const string SupportedVersion = "1.0";
    private const string SupportedVersions = "1.0,1.1";

    /// <summary>How errors name the parameter: as every binding does (gRPC metadata keys ignore case).</summary>
    private const string LastEventIdField = "Last-Event-ID";

    /// <summary>
    /// As on JSON-RPC: <c>1.0</c> (or <c>1</c>, <c>1.0.x</c>) and <c>1.1</c> (the draft: 1.0 plus generations) are served;
    /// none means 0.3 (spec 3.6.2), which this service does not speak.
    /// </summary>
    public static void CheckVersion(ServerCallContext context)
    {
        var value = context.RequestHeaders.GetValue(VersionKey)?.Trim() ?? "";
        if (value is "1.0" or "1" || value.StartsWith("1.0.", StringComparison.Ordinal) || IsV11(value))
        {
            return;
        }

        var requested = value.Length == 0 ? "0.3 (assumed when no a2a-version is sent)" : $"'{Truncate(value)}'";
        throw new A2AException(A2AErrorCodes.VersionNotSupported,
            $"A2A protocol version {requested} is not supported; this service speaks 1.0 and 1.1. Send the metadata a2a-version: {SupportedVersion}.")
        {
            Details = new Dictionary<string, string> { ["supportedVersions"] = SupportedVersions },
        };
    }

    /// <summary>
    /// True when the call's client reads A2A 1.1 <c>generation</c>: it sent <c>a2a-version: 1.1</c>, or activates the
    /// resumable-streams extension. Others get the v1.0 messages with the field unset.
    /// </summary>
    public static bool WantsGeneration(ServerCallContext context) =>
        IsV11(context.RequestHeaders.GetValue(VersionKey)?.Trim() ?? "") || WantsEventIds(context);

    /// <summary>True when the call names A2A 1.1 in its version metadata (its <c>a2a.dialect</c>).</summary>
    public static bool RequestsV11(ServerCallContext context) => IsV11(context.RequestHeaders.GetValue(VersionKey)?.Trim() ?? "");

    private static bool IsV11(string version) => version is "1.1" || version.StartsWith("1.1.", StringComparison.Ordinal);

    /// <summary>True when the call activates the resumable-streams extension (its URI in <c>a2a-extensions</c>).</summary>
    public static bool WantsEventIds(ServerCallContext context)
    {
        foreach (var entry in context.RequestHeaders)
        {
            if (!entry.IsBinary && string.Equals(entry.Key, GrpcEventIds.ExtensionsKey, StringComparison.OrdinalIgnoreCase))
            {
                foreach (var uri in entry.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    if (uri == HeraldExtensionUris.ResumableStreams)
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>The <c>last-event-id</c> the client sent, when it sent one.</summary>
    public static long? LastEventId(ServerCallContext context)
    {
        var text = context.RequestHeaders.GetValue(GrpcEventIds.LastEventIdKey)?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            ? sequence
            : throw A2AException.InvalidParams(LastEventIdField,
                $"Last-Event-ID '{Truncate(text)}' is not an event id of this server (a task event sequence number).");
    }

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
