using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Herald.Protocol;

namespace Herald.Grpc.Service;

/// <summary>
/// A2A errors as gRPC statuses (spec 5.4 and 10.6): the status code of the mapping table, the message, and
/// <c>google.rpc.Status</c> details in the <c>grpc-status-details-bin</c> trailer: an <c>ErrorInfo</c>
/// (reason, domain <c>a2a-protocol.org</c>, metadata) and, for a field that failed validation, a
/// <c>BadRequest</c> with the field.
/// </summary>
internal static class GrpcErrors
{
    public const string Domain = "a2a-protocol.org";

    /// <summary>The gRPC status for an A2A (JSON-RPC) error code.</summary>
    public static StatusCode StatusFor(int code) => code switch
    {
        A2AErrorCodes.TaskNotFound => StatusCode.NotFound,
        A2AErrorCodes.TaskNotCancelable
            or A2AErrorCodes.PushNotificationNotSupported
            or A2AErrorCodes.UnsupportedOperation
            or A2AErrorCodes.ExtendedAgentCardNotConfigured
            or A2AErrorCodes.ExtensionSupportRequired
            or A2AErrorCodes.VersionNotSupported => StatusCode.FailedPrecondition,
        A2AErrorCodes.ContentTypeNotSupported
            or A2AErrorCodes.InvalidParams
            or A2AErrorCodes.InvalidRequest
            or A2AErrorCodes.ParseError => StatusCode.InvalidArgument,
        A2AErrorCodes.MethodNotFound => StatusCode.Unimplemented,
        A2AErrorCodes.TaskGenerationMismatch => StatusCode.Aborted,
        A2AErrorCodes.PermissionDenied => StatusCode.PermissionDenied,
        _ => StatusCode.Internal, // InvalidAgentResponse, InternalError, anything else
    };

    /// <summary>
    /// RESOURCE_EXHAUSTED for a server whose response budget (MaxResponseBytesInFlight) has no room: busy, retry; the
    /// ErrorInfo's metadata carries <c>retryAfterSeconds</c>.
    /// </summary>
    public static RpcException Busy()
    {
        var seconds = ((long)Math.Ceiling(Herald.Server.Hosting.ResponseBudget.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ToRpcException(
            new A2AException(A2AErrorCodes.InternalError,
                $"The server is busy: the responses it is sending fill its memory budget (MaxResponseBytesInFlight). Retry in {seconds} s.")
            {
                Details = new Dictionary<string, string> { ["retryAfterSeconds"] = seconds },
            },
            StatusCode.ResourceExhausted);
    }

    public static RpcException ToRpcException(A2AException error, StatusCode? code = null)
    {
        var status = new Google.Rpc.Status { Code = (int)(code ?? StatusFor(error.Code)), Message = error.Message };
        var info = new ErrorInfo { Reason = A2AErrorCodes.Reason(error.Code), Domain = Domain };
        foreach (var (key, value) in error.Details ?? new Dictionary<string, string>())
        {
            info.Metadata[key] = value;
        }

        status.Details.Add(Any.Pack(info));
        if (error.Field is { } field)
        {
            status.Details.Add(Any.Pack(new BadRequest
            {
                FieldViolations = { new BadRequest.Types.FieldViolation { Field = field, Description = error.Message } },
            }));
        }

        return status.ToRpcException();
    }
}
