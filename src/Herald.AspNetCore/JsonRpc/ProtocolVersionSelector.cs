using Herald.AspNetCore.Http;
using Herald.Protocol;
using Herald.Protocol.Legacy;
using Herald.Protocol.V03;
using Microsoft.AspNetCore.Http;

namespace Herald.AspNetCore.JsonRpc;

/// <summary>
/// Chooses the dialect of a JSON-RPC request (v1.0 specification, 3.6 Versioning). The <c>A2A-Version</c> header
/// (or query parameter, read by <see cref="ProtocolVersionHeader"/> as REST reads it) must name a version this
/// endpoint serves, and an empty one means 0.3; beyond that the method name decides, since each generation has its
/// own names: a v1.0 client that sends no header is still served v1.0, a v0.3 client that sends none (most do not)
/// is served v0.3. (REST has no method names to tell generations apart and speaks 1.0 and 1.1 only.) 1.1 is v1.0 plus the draft's
/// <c>generation</c> fields (<see cref="Http.GenerationFields"/>).
/// </summary>
internal static class ProtocolVersionSelector
{
    /// <summary>The served versions, as error answers list them.</summary>
    public static readonly string[] Supported = ["1.0", "1.1", "0.3"];

    /// <exception cref="A2AException">The request names a version this endpoint does not serve (-32009).</exception>
    public static JsonRpcDialect Select(HttpRequest request, string method)
    {
        var requested = ProtocolVersionHeader.Read(request);
        if (requested.Length > 0 && !ProtocolVersionHeader.IsV1(requested) && !ProtocolVersionHeader.IsV11(requested) && !V03Mapping.IsV03Version(requested))
        {
            throw ProtocolVersionHeader.NotSupported(requested, Supported);
        }

        if (LegacyMethods.IsLegacyOnly(method))
        {
            return JsonRpcDialect.Tutorial;
        }

        if (V03Methods.IsV03(method))
        {
            var shared = method is LegacyMethods.Get or LegacyMethods.Cancel or LegacyMethods.Resubscribe;
            return shared && requested.Length == 0 ? JsonRpcDialect.V03OrTutorial : JsonRpcDialect.V03;
        }

        return JsonRpcDialect.V1;
    }

    /// <summary>True for the methods answered with an SSE stream, in every dialect.</summary>
    public static bool IsStreaming(string? method) =>
        method is "SendStreamingMessage" or "SubscribeToTask" or LegacyMethods.SendSubscribe || (method is not null && V03Methods.IsStreaming(method));
}
