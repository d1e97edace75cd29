using Herald.Protocol;
using Microsoft.AspNetCore.Http;

namespace Herald.AspNetCore.Rest;

/// <summary>
/// How an A2A error appears on the HTTP+JSON binding (spec 5.4 and 11.6): the HTTP status and the
/// <c>google.rpc.Code</c> name that goes in <c>error.status</c> (the same names as the gRPC column of the table).
/// </summary>
internal static class RestStatusMapping
{
    /// <summary>The HTTP status for an error code (spec 5.4: 404, 500, 409 for a generation mismatch (1.1), or 400 for every other A2A error).</summary>
    public static int HttpStatus(int code) => A2AErrorCodes.HttpStatus(code);

    /// <summary>The <c>google.rpc.Code</c> name for an error code.</summary>
    public static string StatusName(int code) => code switch
    {
        A2AErrorCodes.TaskNotFound => "NOT_FOUND",
        A2AErrorCodes.TaskNotCancelable
            or A2AErrorCodes.PushNotificationNotSupported
            or A2AErrorCodes.UnsupportedOperation
            or A2AErrorCodes.ExtendedAgentCardNotConfigured
            or A2AErrorCodes.ExtensionSupportRequired
            or A2AErrorCodes.VersionNotSupported => "FAILED_PRECONDITION",
        A2AErrorCodes.ContentTypeNotSupported
            or A2AErrorCodes.InvalidParams
            or A2AErrorCodes.InvalidRequest
            or A2AErrorCodes.ParseError => "INVALID_ARGUMENT",
        A2AErrorCodes.MethodNotFound => "UNIMPLEMENTED",
        A2AErrorCodes.TaskGenerationMismatch => "ABORTED",
        A2AErrorCodes.PermissionDenied => "PERMISSION_DENIED",
        _ => "INTERNAL",
    };

    /// <summary>
    /// The status name for a refusal that HTTP itself has a status for (<see cref="Http.HttpRefusalException"/>: 413 body
    /// too large, 415 media type, 400 broken framing): the request is invalid as sent, whatever its content; 408, a
    /// body that did not arrive in time, is a deadline.
    /// </summary>
    public static string StatusNameForHttp(int httpStatus) => httpStatus switch
    {
        StatusCodes.Status401Unauthorized => "UNAUTHENTICATED",
        StatusCodes.Status404NotFound => "NOT_FOUND",
        StatusCodes.Status408RequestTimeout => "DEADLINE_EXCEEDED",
        >= 500 => "INTERNAL",
        _ => "INVALID_ARGUMENT",
    };
}
