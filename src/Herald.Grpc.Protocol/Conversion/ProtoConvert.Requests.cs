using Google.Protobuf.WellKnownTypes;
using M = Herald.Protocol;
using P = Lf.A2a.V1;

namespace Herald.Grpc.Conversion;

/// <summary>Request and response messages of the A2AService methods.</summary>
internal static partial class ProtoConvert
{
    public static P.SendMessageRequest ToProto(M.SendMessageRequest request) => new()
    {
        Tenant = request.Tenant ?? "",
        Message = request.Message is null ? null : ToProto(request.Message),
        Configuration = request.Configuration is null ? null : ToProto(request.Configuration),
        Metadata = ProtoJson.ToStruct(request.Metadata),
    };

    public static M.SendMessageRequest ToModel(P.SendMessageRequest request) => new()
    {
        Tenant = NullIfEmpty(request.Tenant),
        Message = request.Message is null ? null : ToModel(request.Message),
        Configuration = request.Configuration is null ? null : ToModel(request.Configuration),
        Metadata = ProtoJson.ToDictionary(request.Metadata),
    };

    public static P.SendMessageConfiguration ToProto(M.SendMessageConfiguration configuration)
    {
        var result = new P.SendMessageConfiguration
        {
            TaskPushNotificationConfig = configuration.TaskPushNotificationConfig is null ? null : ToProto(configuration.TaskPushNotificationConfig),
            ReturnImmediately = configuration.ReturnImmediately == true,
        };
        AddAll(result.AcceptedOutputModes, configuration.AcceptedOutputModes, s => s);
        if (configuration.HistoryLength is { } historyLength)
        {
            result.HistoryLength = historyLength;
        }

        if (configuration.IfGenerationMatch is { } match)
        {
            result.IfGenerationMatch = match;
        }

        return result;
    }

    public static M.SendMessageConfiguration ToModel(P.SendMessageConfiguration configuration) => new()
    {
        AcceptedOutputModes = ListOrNull(configuration.AcceptedOutputModes, s => s),
        TaskPushNotificationConfig = configuration.TaskPushNotificationConfig is null ? null : ToModel(configuration.TaskPushNotificationConfig),
        HistoryLength = configuration.HasHistoryLength ? configuration.HistoryLength : null,
        ReturnImmediately = configuration.ReturnImmediately ? true : null,
        IfGenerationMatch = configuration.HasIfGenerationMatch ? configuration.IfGenerationMatch : null,
    };

    public static P.GetTaskRequest ToProto(M.GetTaskRequest request)
    {
        var result = new P.GetTaskRequest { Tenant = request.Tenant ?? "", Id = request.Id ?? "" };
        if (request.HistoryLength is { } historyLength)
        {
            result.HistoryLength = historyLength;
        }

        if (request.CurrentGeneration is { } current)
        {
            result.CurrentGeneration = current;
        }

        return result;
    }

    public static M.GetTaskRequest ToModel(P.GetTaskRequest request) => new()
    {
        Tenant = NullIfEmpty(request.Tenant),
        Id = request.Id,
        HistoryLength = request.HasHistoryLength ? request.HistoryLength : null,
        CurrentGeneration = request.HasCurrentGeneration ? request.CurrentGeneration : null,
    };

    public static P.ListTasksRequest ToProto(M.ListTasksRequest request)
    {
        var result = new P.ListTasksRequest
        {
            Tenant = request.Tenant ?? "",
            ContextId = request.ContextId ?? "",
            Status = (P.TaskState)(request.Status ?? M.TaskState.Unspecified),
            PageToken = request.PageToken ?? "",
            StatusTimestampAfter = request.StatusTimestampAfter is { } after ? Timestamp.FromDateTimeOffset(after) : null,
        };
        if (request.PageSize is { } pageSize)
        {
            result.PageSize = pageSize;
        }

        if (request.HistoryLength is { } historyLength)
        {
            result.HistoryLength = historyLength;
        }

        if (request.IncludeArtifacts is { } includeArtifacts)
        {
            result.IncludeArtifacts = includeArtifacts;
        }

        return result;
    }

    public static M.ListTasksRequest ToModel(P.ListTasksRequest request) => new()
    {
        Tenant = NullIfEmpty(request.Tenant),
        ContextId = NullIfEmpty(request.ContextId),
        Status = request.Status == P.TaskState.Unspecified ? null : (M.TaskState)request.Status,
        PageSize = request.HasPageSize ? request.PageSize : null,
        PageToken = NullIfEmpty(request.PageToken),
        HistoryLength = request.HasHistoryLength ? request.HistoryLength : null,
        StatusTimestampAfter = request.StatusTimestampAfter?.ToDateTimeOffset(),
        IncludeArtifacts = request.HasIncludeArtifacts ? request.IncludeArtifacts : null,
    };

    public static P.ListTasksResponse ToProto(M.ListTasksResponse response)
    {
        var result = new P.ListTasksResponse
        {
            NextPageToken = response.NextPageToken ?? "",
            PageSize = response.PageSize,
            TotalSize = response.TotalSize,
        };
        AddAll(result.Tasks, response.Tasks, ToProto);
        return result;
    }

    public static M.ListTasksResponse ToModel(P.ListTasksResponse response) => new()
    {
        Tasks = [.. response.Tasks.Select(ToModel)],
        NextPageToken = response.NextPageToken,
        PageSize = response.PageSize,
        TotalSize = response.TotalSize,
    };

    public static P.CancelTaskRequest ToProto(M.CancelTaskRequest request) => new()
    {
        Tenant = request.Tenant ?? "",
        Id = request.Id ?? "",
        Metadata = ProtoJson.ToStruct(request.Metadata),
    };

    public static M.CancelTaskRequest ToModel(P.CancelTaskRequest request) => new()
    {
        Tenant = NullIfEmpty(request.Tenant),
        Id = request.Id,
        Metadata = ProtoJson.ToDictionary(request.Metadata),
    };

    public static P.SubscribeToTaskRequest ToProto(M.SubscribeToTaskRequest request) => new() { Tenant = request.Tenant ?? "", Id = request.Id ?? "" };

    public static M.SubscribeToTaskRequest ToModel(P.SubscribeToTaskRequest request) => new() { Tenant = NullIfEmpty(request.Tenant), Id = request.Id };

    public static P.GetExtendedAgentCardRequest ToProto(M.GetExtendedAgentCardRequest request) => new() { Tenant = request.Tenant ?? "" };

    public static M.GetExtendedAgentCardRequest ToModel(P.GetExtendedAgentCardRequest request) => new() { Tenant = NullIfEmpty(request.Tenant) };

    // ---- push notification configs ----

    public static P.TaskPushNotificationConfig ToProto(M.TaskPushNotificationConfig config) => new()
    {
        Tenant = config.Tenant ?? "",
        Id = config.Id ?? "",
        TaskId = config.TaskId ?? "",
        Url = config.Url ?? "",
        Token = config.Token ?? "",
        Authentication = config.Authentication is { } auth ? new P.AuthenticationInfo { Scheme = auth.Scheme ?? "", Credentials = auth.Credentials ?? "" } : null,
    };

    public static M.TaskPushNotificationConfig ToModel(P.TaskPushNotificationConfig config) => new()
    {
        Tenant = NullIfEmpty(config.Tenant),
        Id = NullIfEmpty(config.Id),
        TaskId = NullIfEmpty(config.TaskId),
        Url = NullIfEmpty(config.Url),
        Token = NullIfEmpty(config.Token),
        Authentication = config.Authentication is { } auth ? new M.AuthenticationInfo { Scheme = auth.Scheme, Credentials = NullIfEmpty(auth.Credentials) } : null,
    };

    public static P.GetTaskPushNotificationConfigRequest ToGetProto(M.TaskPushNotificationConfigRequest request) =>
        new() { Tenant = request.Tenant ?? "", TaskId = request.TaskId ?? "", Id = request.Id ?? "" };

    public static P.DeleteTaskPushNotificationConfigRequest ToDeleteProto(M.TaskPushNotificationConfigRequest request) =>
        new() { Tenant = request.Tenant ?? "", TaskId = request.TaskId ?? "", Id = request.Id ?? "" };

    public static M.TaskPushNotificationConfigRequest ToModel(P.GetTaskPushNotificationConfigRequest request) =>
        new() { Tenant = NullIfEmpty(request.Tenant), TaskId = NullIfEmpty(request.TaskId), Id = NullIfEmpty(request.Id) };

    public static M.TaskPushNotificationConfigRequest ToModel(P.DeleteTaskPushNotificationConfigRequest request) =>
        new() { Tenant = NullIfEmpty(request.Tenant), TaskId = NullIfEmpty(request.TaskId), Id = NullIfEmpty(request.Id) };

    public static P.ListTaskPushNotificationConfigsRequest ToProto(M.ListTaskPushNotificationConfigsRequest request) => new()
    {
        Tenant = request.Tenant ?? "",
        TaskId = request.TaskId ?? "",
        PageSize = request.PageSize ?? 0,
        PageToken = request.PageToken ?? "",
    };

    public static M.ListTaskPushNotificationConfigsRequest ToModel(P.ListTaskPushNotificationConfigsRequest request) => new()
    {
        Tenant = NullIfEmpty(request.Tenant),
        TaskId = NullIfEmpty(request.TaskId),
        PageSize = request.PageSize == 0 ? null : request.PageSize,
        PageToken = NullIfEmpty(request.PageToken),
    };

    public static P.ListTaskPushNotificationConfigsResponse ToProto(M.ListTaskPushNotificationConfigsResponse response)
    {
        var result = new P.ListTaskPushNotificationConfigsResponse { NextPageToken = response.NextPageToken ?? "" };
        AddAll(result.Configs, response.Configs, ToProto);
        return result;
    }

    public static M.ListTaskPushNotificationConfigsResponse ToModel(P.ListTaskPushNotificationConfigsResponse response) => new()
    {
        Configs = [.. response.Configs.Select(ToModel)],
        NextPageToken = response.NextPageToken,
    };
}
