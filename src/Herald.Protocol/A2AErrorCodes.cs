using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol;

/// <summary>JSON-RPC error codes used by A2A (spec 5.4 and 9.5).</summary>
public static class A2AErrorCodes
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;
    public const int TaskNotFound = -32001;
    public const int TaskNotCancelable = -32002;
    public const int PushNotificationNotSupported = -32003;
    public const int UnsupportedOperation = -32004;
    public const int ContentTypeNotSupported = -32005;
    public const int InvalidAgentResponse = -32006;
    public const int ExtendedAgentCardNotConfigured = -32007;
    public const int ExtensionSupportRequired = -32008;
    public const int VersionNotSupported = -32009;

    /// <summary>A2A 1.1: a follow-up's <c>ifGenerationMatch</c> is not the task's generation (gRPC ABORTED, HTTP 409).</summary>
    public const int TaskGenerationMismatch = -32010;

    /// <summary>
    /// Herald: the caller may not make this request, e.g. it names a tenant other than the one its credentials belong to
    /// (spec 3.3.2 authorization errors: HTTP 403, gRPC PERMISSION_DENIED). Never used for a task of another owner, which
    /// is answered as not found.
    /// </summary>
    public const int PermissionDenied = -32050;

    /// <summary>Every code above: the ones a reason (<see cref="Reason"/>) names.</summary>
    private static readonly int[] Named =
    [
        ParseError, InvalidRequest, MethodNotFound, InvalidParams, InternalError, TaskNotFound, TaskNotCancelable,
        PushNotificationNotSupported, UnsupportedOperation, ContentTypeNotSupported, InvalidAgentResponse,
        ExtendedAgentCardNotConfigured, ExtensionSupportRequired, VersionNotSupported, TaskGenerationMismatch, PermissionDenied,
    ];

    /// <summary>The code a <c>google.rpc.ErrorInfo</c> reason names (the inverse of <see cref="Reason"/>); false for any other reason.</summary>
    public static bool TryFromReason(string? reason, out int code)
    {
        foreach (var candidate in Named)
        {
            if (string.Equals(Reason(candidate), reason, StringComparison.Ordinal))
            {
                code = candidate;
                return true;
            }
        }

        code = 0;
        return false;
    }

    /// <summary>The <c>google.rpc.ErrorInfo</c> reason for a code, e.g. <c>TASK_NOT_FOUND</c>.</summary>
    public static string Reason(int code) => code switch
    {
        ParseError => "PARSE_ERROR",
        InvalidRequest => "INVALID_REQUEST",
        MethodNotFound => "METHOD_NOT_FOUND",
        InvalidParams => "INVALID_PARAMS",
        TaskNotFound => "TASK_NOT_FOUND",
        TaskNotCancelable => "TASK_NOT_CANCELABLE",
        PushNotificationNotSupported => "PUSH_NOTIFICATION_NOT_SUPPORTED",
        UnsupportedOperation => "UNSUPPORTED_OPERATION",
        ContentTypeNotSupported => "CONTENT_TYPE_NOT_SUPPORTED",
        InvalidAgentResponse => "INVALID_AGENT_RESPONSE",
        ExtendedAgentCardNotConfigured => "EXTENDED_AGENT_CARD_NOT_CONFIGURED",
        ExtensionSupportRequired => "EXTENSION_SUPPORT_REQUIRED",
        VersionNotSupported => "VERSION_NOT_SUPPORTED",
        TaskGenerationMismatch => "TASK_GENERATION_MISMATCH",
        PermissionDenied => "PERMISSION_DENIED",
        _ => "INTERNAL",
    };

    /// <summary>The HTTP status the REST binding uses for a code (spec 5.4).</summary>
    public static int HttpStatus(int code) => code switch
    {
        TaskNotFound => 404,
        TaskGenerationMismatch => 409,
        PermissionDenied => 403,
        InternalError or InvalidAgentResponse => 500,
        _ => 400,
    };
}
