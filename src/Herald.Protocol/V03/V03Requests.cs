using System.Text.Json;

namespace Herald.Protocol.V03;

/// <summary>Parameters of <c>message/send</c> and <c>message/stream</c>.</summary>
public sealed record V03MessageSendParams
{
    public required V03Message Message { get; init; }

    public V03MessageSendConfiguration? Configuration { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}

/// <summary>How the server should process a sent message.</summary>
public sealed record V03MessageSendConfiguration
{
    public IReadOnlyList<string>? AcceptedOutputModes { get; init; }

    /// <summary>True: answer once the task is terminal or interrupted; false: answer at once.</summary>
    public bool? Blocking { get; init; }

    public int? HistoryLength { get; init; }

    public V03PushNotificationConfig? PushNotificationConfig { get; init; }
}

/// <summary>Parameters of <c>tasks/get</c>.</summary>
public sealed record V03TaskQueryParams
{
    public required string Id { get; init; }

    public int? HistoryLength { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}

/// <summary>Parameters of <c>tasks/cancel</c>, <c>tasks/resubscribe</c> (and an older form of the push-config get).</summary>
public sealed record V03TaskIdParams
{
    public required string Id { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}
