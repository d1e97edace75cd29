namespace Herald.Protocol.V03;

/// <summary>
/// The v0.3 JSON-RPC error codes (specification-v0.3 section 8). They share their numbers with v1.0 up
/// to -32006; -32007 is named for the authenticated extended card in v0.3. Codes v0.3 does not define
/// (-32008, -32009) are sent unchanged: JSON-RPC clients treat an unknown server error code generically.
/// </summary>
public static class V03ErrorCodes
{
    public const int TaskNotFound = -32001;
    public const int TaskNotCancelable = -32002;
    public const int PushNotificationNotSupported = -32003;
    public const int UnsupportedOperation = -32004;
    public const int ContentTypeNotSupported = -32005;
    public const int InvalidAgentResponse = -32006;
    public const int AuthenticatedExtendedCardNotConfigured = -32007;

    /// <summary>The message the v0.3 schema gives each code, for servers that have nothing more specific.</summary>
    public static string DefaultMessage(int code) => code switch
    {
        A2AErrorCodes.ParseError => "Invalid JSON payload",
        A2AErrorCodes.InvalidRequest => "Request payload validation error",
        A2AErrorCodes.MethodNotFound => "Method not found",
        A2AErrorCodes.InvalidParams => "Invalid parameters",
        A2AErrorCodes.InternalError => "Internal error",
        TaskNotFound => "Task not found",
        TaskNotCancelable => "Task cannot be canceled",
        PushNotificationNotSupported => "Push Notification is not supported",
        UnsupportedOperation => "This operation is not supported",
        ContentTypeNotSupported => "Incompatible content types",
        InvalidAgentResponse => "Invalid agent response",
        AuthenticatedExtendedCardNotConfigured => "Authenticated Extended Card is not configured",
        _ => "Server error",
    };
}
