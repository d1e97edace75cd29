using Google.Protobuf.WellKnownTypes;
using Herald.Protocol;
using P = Lf.A2a.V1;

namespace Herald.Grpc.Conversion;

/// <summary>
/// Herald's resumable-streams extension on the gRPC binding (docs/resumable-streams.md). gRPC metadata is
/// per call, so each stream item carries its event id in its own metadata map, under the extension's URI:
/// <c>{"urn:herald:a2a:extension:resumable-streams:v1": {"eventId": "42"}}</c> (<see cref="HeraldExtensionUris.ResumableStreams"/>, the URI the card declares) (on the Task snapshot, the status update or
/// the artifact update). Only a call that activates the extension (request metadata <c>a2a-extensions</c>
/// naming the URI) gets ids, so other clients see the events exactly as the specification writes them.
/// A client resumes with SubscribeToTask and the request metadata <c>last-event-id</c>, the same name and
/// meaning as the SSE header.
/// </summary>
internal static class GrpcEventIds
{
    /// <summary>Request metadata key carrying the id of the last event the client processed.</summary>
    public const string LastEventIdKey = "last-event-id";

    /// <summary>The service parameter listing the extensions a client activates (spec 3.2.6).</summary>
    public const string ExtensionsKey = "a2a-extensions";

    private const string EventIdField = "eventId";

    /// <summary>Adds <paramref name="eventId"/> to the metadata of the item's payload; a direct message gets none.</summary>
    public static void Stamp(P.StreamResponse response, long eventId)
    {
        var metadata = response.PayloadCase switch
        {
            P.StreamResponse.PayloadOneofCase.Task => response.Task.Metadata ??= new Struct(),
            P.StreamResponse.PayloadOneofCase.StatusUpdate => response.StatusUpdate.Metadata ??= new Struct(),
            P.StreamResponse.PayloadOneofCase.ArtifactUpdate => response.ArtifactUpdate.Metadata ??= new Struct(),
            _ => null,
        };
        if (metadata is not null)
        {
            var entry = new Struct();
            entry.Fields[EventIdField] = Value.ForString(eventId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            metadata.Fields[HeraldExtensionUris.ResumableStreams] = Value.ForStruct(entry);
        }
    }

    /// <summary>
    /// Removes the extension's entry from the item's metadata (dropping a map it leaves empty, as the server
    /// created it) and returns the id it held; null when there is none.
    /// </summary>
    public static string? Take(P.StreamResponse response)
    {
        switch (response.PayloadCase)
        {
            case P.StreamResponse.PayloadOneofCase.Task:
                response.Task.Metadata = Take(response.Task.Metadata, out var taskId);
                return taskId;
            case P.StreamResponse.PayloadOneofCase.StatusUpdate:
                response.StatusUpdate.Metadata = Take(response.StatusUpdate.Metadata, out var statusId);
                return statusId;
            case P.StreamResponse.PayloadOneofCase.ArtifactUpdate:
                response.ArtifactUpdate.Metadata = Take(response.ArtifactUpdate.Metadata, out var artifactId);
                return artifactId;
            default:
                return null;
        }
    }

    private static Struct? Take(Struct? metadata, out string? eventId)
    {
        eventId = null;
        if (metadata is null || !metadata.Fields.TryGetValue(HeraldExtensionUris.ResumableStreams, out var entry))
        {
            return metadata;
        }

        metadata.Fields.Remove(HeraldExtensionUris.ResumableStreams);
        if (entry.KindCase == Value.KindOneofCase.StructValue
            && entry.StructValue.Fields.TryGetValue(EventIdField, out var id)
            && id.KindCase == Value.KindOneofCase.StringValue)
        {
            eventId = id.StringValue;
        }

        return metadata.Fields.Count == 0 ? null : metadata;
    }
}
