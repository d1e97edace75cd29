using Google.Protobuf;
using Herald.Grpc.Conversion;
using Herald.Server.Storage;
using P = Lf.A2a.V1;

namespace Herald.Grpc.Service;

/// <summary>
/// Log events as protobuf <c>StreamResponse</c> bytes, computed once per event and shared by every gRPC
/// stream: one encoding as the specification writes it, one with the event id of the resumable-streams
/// extension in the item's metadata.
/// </summary>
internal sealed class ProtoEventEncoding : EventEncoding
{
    public static readonly ProtoEventEncoding Plain = new(withIds: false);

    public static readonly ProtoEventEncoding WithIds = new(withIds: true);

    private readonly bool _withIds;

    private ProtoEventEncoding(bool withIds) => _withIds = withIds;

    public static ProtoEventEncoding For(bool withIds) => withIds ? WithIds : Plain;

    /// <summary>The item for an event (status and artifact updates are what streams carry).</summary>
    public static P.StreamResponse ToResponse(TaskEvent taskEvent) => taskEvent.Kind switch
    {
        TaskEventKind.Status => new P.StreamResponse { StatusUpdate = ProtoConvert.ToProto(taskEvent.StatusUpdate!) },
        TaskEventKind.Artifact => new P.StreamResponse { ArtifactUpdate = ProtoConvert.ToProto(taskEvent.ArtifactUpdate!) },
        TaskEventKind.Message => new P.StreamResponse { Message = ProtoConvert.ToProto(taskEvent.Message!) },
        _ => new P.StreamResponse { Task = ProtoConvert.ToProto(taskEvent.CreatedTask!) },
    };

    protected override byte[] Encode(TaskEvent taskEvent)
    {
        var response = ToResponse(taskEvent);
        if (_withIds)
        {
            GrpcEventIds.Stamp(response, taskEvent.Sequence);
        }

        return response.ToByteArray();
    }
}
