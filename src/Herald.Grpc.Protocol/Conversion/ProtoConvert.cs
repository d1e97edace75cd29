using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using M = Herald.Protocol;
using P = Lf.A2a.V1;

namespace Herald.Grpc.Conversion;

/// <summary>
/// Herald's v1.0 model (<see cref="Herald.Protocol"/> records) to and from the messages of <c>a2a.proto</c>,
/// field by field. Proto3 cannot tell an empty string or list from an absent one: the model's optional
/// strings and lists become null when empty, and false flags that the model keeps optional become null.
/// Shared by the server (Herald.Grpc) and the client binding (Herald.Client.Grpc) from Herald.Grpc.Protocol.
/// </summary>
internal static partial class ProtoConvert
{
    // ---- task, message, parts ----

    public static P.Task ToProto(M.AgentTask task)
    {
        var result = new P.Task
        {
            Id = task.Id ?? "",
            ContextId = task.ContextId ?? "",
            Status = ToProto(task.Status),
            Metadata = ProtoJson.ToStruct(task.Metadata),
            Generation = task.Generation ?? 0,
        };
        AddAll(result.Artifacts, task.Artifacts, ToProto);
        AddAll(result.History, task.History, ToProto);
        return result;
    }

    public static M.AgentTask ToModel(P.Task task) => new()
    {
        Id = task.Id,
        ContextId = NullIfEmpty(task.ContextId),
        Status = task.Status is null ? new M.AgentTaskStatus() : ToModel(task.Status),
        Artifacts = ListOrNull(task.Artifacts, ToModel),
        History = ListOrNull(task.History, ToModel),
        Metadata = ProtoJson.ToDictionary(task.Metadata),
        Generation = GenerationOrNull(task.Generation),
    };

    /// <summary>proto3's 0 is "not set" (a server without A2A 1.1 generations); the model says so with null.</summary>
    private static long? GenerationOrNull(long generation) => generation == 0 ? null : generation;

    public static P.TaskStatus ToProto(M.AgentTaskStatus? status) => status is null ? new P.TaskStatus() : new P.TaskStatus
    {
        State = (P.TaskState)status.State,
        Message = status.Message is null ? null : ToProto(status.Message),
        Timestamp = status.Timestamp is { } at ? Timestamp.FromDateTimeOffset(at) : null,
    };

    public static M.AgentTaskStatus ToModel(P.TaskStatus status) => new()
    {
        State = (M.TaskState)status.State,
        Message = status.Message is null ? null : ToModel(status.Message),
        Timestamp = status.Timestamp?.ToDateTimeOffset(),
    };

    public static P.Message ToProto(M.Message message)
    {
        var result = new P.Message
        {
            MessageId = message.MessageId ?? "",
            ContextId = message.ContextId ?? "",
            TaskId = message.TaskId ?? "",
            Role = (P.Role)message.Role,
            Metadata = ProtoJson.ToStruct(message.Metadata),
        };
        AddAll(result.Parts, message.Parts, ToProto);
        AddAll(result.Extensions, message.Extensions, s => s);
        AddAll(result.ReferenceTaskIds, message.ReferenceTaskIds, s => s);
        return result;
    }

    public static M.Message ToModel(P.Message message) => new()
    {
        MessageId = message.MessageId,
        ContextId = NullIfEmpty(message.ContextId),
        TaskId = NullIfEmpty(message.TaskId),
        Role = (M.Role)message.Role,
        Parts = [.. message.Parts.Select(ToModel)],
        Metadata = ProtoJson.ToDictionary(message.Metadata),
        Extensions = ListOrNull(message.Extensions, s => s),
        ReferenceTaskIds = ListOrNull(message.ReferenceTaskIds, s => s),
    };

    public static P.Part ToProto(M.Part part)
    {
        var result = new P.Part
        {
            Filename = part.Filename ?? "",
            MediaType = part.MediaType ?? "",
            Metadata = ProtoJson.ToStruct(part.Metadata),
        };

        // The model allows several content members (validation rejects such a part); the oneof keeps one, in this order.
        if (part.Text is { } text)
        {
            result.Text = text;
        }
        else if (part.Raw is { } raw)
        {
            result.Raw = ByteString.CopyFrom(raw);
        }
        else if (part.Url is { } url)
        {
            result.Url = url;
        }
        else if (part.Data is { } data)
        {
            result.Data = ProtoJson.ToValue(data);
        }

        return result;
    }

    public static M.Part ToModel(P.Part part) => new()
    {
        Text = part.ContentCase == P.Part.ContentOneofCase.Text ? part.Text : null,
        Raw = part.ContentCase == P.Part.ContentOneofCase.Raw ? part.Raw.ToByteArray() : null,
        Url = part.ContentCase == P.Part.ContentOneofCase.Url ? part.Url : null,
        Data = part.ContentCase == P.Part.ContentOneofCase.Data ? ProtoJson.ToElement(part.Data) : null,
        Metadata = ProtoJson.ToDictionary(part.Metadata),
        Filename = NullIfEmpty(part.Filename),
        MediaType = NullIfEmpty(part.MediaType),
    };

    public static P.Artifact ToProto(M.Artifact artifact)
    {
        var result = new P.Artifact
        {
            ArtifactId = artifact.ArtifactId ?? "",
            Name = artifact.Name ?? "",
            Description = artifact.Description ?? "",
            Metadata = ProtoJson.ToStruct(artifact.Metadata),
        };
        AddAll(result.Parts, artifact.Parts, ToProto);
        AddAll(result.Extensions, artifact.Extensions, s => s);
        return result;
    }

    public static M.Artifact ToModel(P.Artifact artifact) => new()
    {
        ArtifactId = artifact.ArtifactId,
        Name = NullIfEmpty(artifact.Name),
        Description = NullIfEmpty(artifact.Description),
        Parts = [.. artifact.Parts.Select(ToModel)],
        Metadata = ProtoJson.ToDictionary(artifact.Metadata),
        Extensions = ListOrNull(artifact.Extensions, s => s),
    };

    // ---- stream items ----

    public static P.TaskStatusUpdateEvent ToProto(M.TaskStatusUpdateEvent update) => new()
    {
        TaskId = update.TaskId ?? "",
        ContextId = update.ContextId ?? "",
        Status = ToProto(update.Status),
        Metadata = ProtoJson.ToStruct(update.Metadata),
        Generation = update.Generation ?? 0,
    };

    public static M.TaskStatusUpdateEvent ToModel(P.TaskStatusUpdateEvent update) => new()
    {
        TaskId = update.TaskId,
        ContextId = update.ContextId,
        Status = update.Status is null ? new M.AgentTaskStatus() : ToModel(update.Status),
        Metadata = ProtoJson.ToDictionary(update.Metadata),
        Generation = GenerationOrNull(update.Generation),
    };

    public static P.TaskArtifactUpdateEvent ToProto(M.TaskArtifactUpdateEvent update) => new()
    {
        TaskId = update.TaskId ?? "",
        ContextId = update.ContextId ?? "",
        Artifact = update.Artifact is null ? null : ToProto(update.Artifact),
        Append = update.Append == true,
        LastChunk = update.LastChunk == true,
        Metadata = ProtoJson.ToStruct(update.Metadata),
        Generation = update.Generation ?? 0,
    };

    public static M.TaskArtifactUpdateEvent ToModel(P.TaskArtifactUpdateEvent update) => new()
    {
        TaskId = update.TaskId,
        ContextId = update.ContextId,
        Artifact = update.Artifact is null ? new M.Artifact { ArtifactId = "" } : ToModel(update.Artifact),
        Append = update.Append ? true : null,
        LastChunk = update.LastChunk ? true : null,
        Metadata = ProtoJson.ToDictionary(update.Metadata),
        Generation = GenerationOrNull(update.Generation),
    };

    public static P.StreamResponse ToProto(M.StreamResponse response)
    {
        var result = new P.StreamResponse();
        if (response.Task is { } task)
        {
            result.Task = ToProto(task);
        }
        else if (response.Message is { } message)
        {
            result.Message = ToProto(message);
        }
        else if (response.StatusUpdate is { } status)
        {
            result.StatusUpdate = ToProto(status);
        }
        else if (response.ArtifactUpdate is { } artifact)
        {
            result.ArtifactUpdate = ToProto(artifact);
        }

        return result;
    }

    /// <summary>The item; null when the message holds none of the four members.</summary>
    public static M.StreamResponse? ToModel(P.StreamResponse response) => response.PayloadCase switch
    {
        P.StreamResponse.PayloadOneofCase.Task => new M.StreamResponse { Task = ToModel(response.Task) },
        P.StreamResponse.PayloadOneofCase.Message => new M.StreamResponse { Message = ToModel(response.Message) },
        P.StreamResponse.PayloadOneofCase.StatusUpdate => new M.StreamResponse { StatusUpdate = ToModel(response.StatusUpdate) },
        P.StreamResponse.PayloadOneofCase.ArtifactUpdate => new M.StreamResponse { ArtifactUpdate = ToModel(response.ArtifactUpdate) },
        _ => null,
    };

    public static P.SendMessageResponse ToProto(M.SendMessageResponse response)
    {
        var result = new P.SendMessageResponse();
        if (response.Task is { } task)
        {
            result.Task = ToProto(task);
        }
        else if (response.Message is { } message)
        {
            result.Message = ToProto(message);
        }

        return result;
    }

    public static M.SendMessageResponse ToModel(P.SendMessageResponse response) => response.PayloadCase switch
    {
        P.SendMessageResponse.PayloadOneofCase.Task => new M.SendMessageResponse { Task = ToModel(response.Task) },
        P.SendMessageResponse.PayloadOneofCase.Message => new M.SendMessageResponse { Message = ToModel(response.Message) },
        _ => new M.SendMessageResponse(),
    };

    // ---- helpers ----

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static void AddAll<TModel, TProto>(Google.Protobuf.Collections.RepeatedField<TProto> target, IEnumerable<TModel>? source, Func<TModel, TProto> convert)
    {
        if (source is not null)
        {
            foreach (var item in source)
            {
                target.Add(convert(item));
            }
        }
    }

    private static List<TModel>? ListOrNull<TProto, TModel>(Google.Protobuf.Collections.RepeatedField<TProto> source, Func<TProto, TModel> convert) =>
        source.Count == 0 ? null : [.. source.Select(convert)];
}
