using Google.Protobuf;
using Herald.Grpc.Conversion;
using Herald.Server.Storage;
using P = Lf.A2a.V1;

namespace Herald.Grpc.Service;

/// <summary>
/// Log events as protobuf <c>StreamResponse</c> bytes, computed once per event and shared by every gRPC
/// stream: as the specification writes it, with the event id of the resumable-streams extension in the item's
/// metadata, and either of those with the A2A 1.1 <c>generation</c> set.
/// </summary>
internal sealed class ProtoEventEncoding : EventEncoding
{
    public static readonly ProtoEventEncoding Plain = new(withIds: false, withGeneration: false);

    public static readonly ProtoEventEncoding WithIds = new(withIds: true, withGeneration: false);

    public static readonly ProtoEventEncoding PlainWithGeneration = new(withIds: false, withGeneration: true);

    public static readonly ProtoEventEncoding WithIdsAndGeneration = new(withIds: true, withGeneration: true);

    private readonly bool _withIds;
    private readonly bool _withGeneration;

    private ProtoEventEncoding(bool withIds, bool withGeneration)
    {
        _withIds = withIds;
        _withGeneration = withGeneration;
    }

    public static ProtoEventEncoding For(bool withIds, bool withGeneration = false) => (withIds, withGeneration) switch
    {
        (false, false) => Plain,
        (true, false) => WithIds,
        (false, true) => PlainWithGeneration,
        (true, true) => WithIdsAndGeneration,
    };

    /// <summary>The item for an event (status and artifact updates are what streams carry).</summary>
    public static P.StreamResponse ToResponse(TaskEvent taskEvent) => taskEvent.Kind switch
    {
        TaskEventKind.Status => new P.StreamResponse { StatusUpdate = ProtoConvert.ToProto(taskEvent.StatusUpdate!) },
        TaskEventKind.Artifact => new P.StreamResponse { ArtifactUpdate = ProtoConvert.ToProto(taskEvent.ArtifactUpdate!) },
        TaskEventKind.Message => new P.StreamResponse { Message = ProtoConvert.ToProto(taskEvent.Message!) },
        _ => new P.StreamResponse { Task = ProtoConvert.ToProto(taskEvent.CreatedTask!) },
    };

    protected internal override byte[] Encode(TaskEvent taskEvent)
    {
        var response = ToResponse(taskEvent);
        if (_withGeneration)
        {
            if (response.StatusUpdate is { } status)
            {
                status.Generation = taskEvent.Generation;
            }
            else if (response.ArtifactUpdate is { } artifact)
            {
                artifact.Generation = taskEvent.Generation;
            }
        }

        if (_withIds)
        {
            GrpcEventIds.Stamp(response, taskEvent.Sequence);
        }

        return response.ToByteArray();
    }
}
