namespace Herald.Protocol.V03;

/// <summary>The v0.3 JSON-RPC method names.</summary>
public static class V03Methods
{
    public const string SendMessage = "message/send";
    public const string SendStreamingMessage = "message/stream";
    public const string GetTask = "tasks/get";
    public const string CancelTask = "tasks/cancel";
    public const string Resubscribe = "tasks/resubscribe";
    public const string SetPushNotificationConfig = "tasks/pushNotificationConfig/set";
    public const string GetPushNotificationConfig = "tasks/pushNotificationConfig/get";
    public const string ListPushNotificationConfigs = "tasks/pushNotificationConfig/list";
    public const string DeletePushNotificationConfig = "tasks/pushNotificationConfig/delete";
    public const string GetAuthenticatedExtendedCard = "agent/getAuthenticatedExtendedCard";

    /// <summary>True for a method of the v0.3 JSON-RPC binding.</summary>
    public static bool IsV03(string method) => method is SendMessage or SendStreamingMessage or GetTask or CancelTask or Resubscribe
        or SetPushNotificationConfig or GetPushNotificationConfig or ListPushNotificationConfigs or DeletePushNotificationConfig
        or GetAuthenticatedExtendedCard;

    /// <summary>True for the methods answered with an SSE stream.</summary>
    public static bool IsStreaming(string method) => method is SendStreamingMessage or Resubscribe;
}
