using System.Net.Http;
using Google.Rpc;
using Grpc.Core;
using Herald.Protocol;

namespace Herald.Client.Grpc;

/// <summary>
/// A failed gRPC call as the client core understands it: an A2A error (the <c>ErrorInfo</c> of domain
/// <c>a2a-protocol.org</c> in the status details, spec 10.6) as <see cref="A2AException"/> with its code; a
/// broken transport as <see cref="IOException"/>, which the core answers by reconnecting a stream; other
/// statuses as the closest A2A error.
/// </summary>
internal static class GrpcErrorMapper
{
    private const string Domain = "a2a-protocol.org";

    /// <param name="exception">What the call threw.</param>
    /// <param name="inStream">Whether the stream had started: A2A errors then surface as <see cref="A2AStreamErrorException"/>.</param>
    /// <param name="cancellationToken">The caller's token: a cancellation it asked for stays a cancellation.</param>
    public static Exception Map(RpcException exception, bool inStream, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return new OperationCanceledException(exception.Status.Detail, exception, cancellationToken);
        }

        if (exception.StatusCode == StatusCode.Unauthenticated && !inStream)
        {
            // As HTTP's 401, so that callers (and the token refresh) handle every binding alike.
            return new A2AHttpException(System.Net.HttpStatusCode.Unauthorized, $"gRPC Unauthenticated: {exception.Status.Detail}");
        }

        if (FindErrorInfo(exception, out var field) is { } info)
        {
            var code = A2AErrorCodes.TryFromReason(info.Reason, out var known) ? known : A2AErrorCodes.InternalError;
            var details = info.Metadata.Count == 0 ? null : new Dictionary<string, string>(info.Metadata, StringComparer.Ordinal);
            return inStream
                ? new A2AStreamErrorException(code, exception.Status.Detail, field) { Details = details }
                : new A2AException(code, exception.Status.Detail, field) { Details = details };
        }

        if (IsTransportFailure(exception))
        {
            return new IOException($"The gRPC call failed: {exception.Status.StatusCode} {exception.Status.Detail}", exception);
        }

        var mapped = exception.StatusCode switch
        {
            StatusCode.NotFound => A2AErrorCodes.TaskNotFound,
            StatusCode.InvalidArgument or StatusCode.OutOfRange => A2AErrorCodes.InvalidParams,
            StatusCode.Unimplemented => A2AErrorCodes.MethodNotFound,
            StatusCode.FailedPrecondition => A2AErrorCodes.UnsupportedOperation,
            StatusCode.Aborted => A2AErrorCodes.TaskGenerationMismatch,
            StatusCode.PermissionDenied => A2AErrorCodes.PermissionDenied,
            StatusCode.ResourceExhausted => A2AErrorCodes.InvalidRequest,
            _ => A2AErrorCodes.InternalError,
        };
        var message = $"gRPC {exception.StatusCode}: {exception.Status.Detail}";
        return inStream ? new A2AStreamErrorException(mapped, message) : new A2AException(mapped, message, exception);
    }

    /// <summary>
    /// The connection or the call broke rather than the agent answering: unavailable, a stream reset by the
    /// server or a proxy, an I/O error while reading, a deadline or timeout the caller did not ask for.
    /// </summary>
    private static bool IsTransportFailure(RpcException exception) => exception.StatusCode switch
    {
        StatusCode.Unavailable or StatusCode.Cancelled or StatusCode.DeadlineExceeded => true,
        StatusCode.Internal or StatusCode.Unknown => exception.Status.DebugException is IOException or HttpRequestException or HttpProtocolException or OperationCanceledException,
        _ => false,
    };

    private static ErrorInfo? FindErrorInfo(RpcException exception, out string? field)
    {
        field = null;
        Google.Rpc.Status? status;
        try
        {
            status = exception.GetRpcStatus();
        }
        catch (Google.Protobuf.InvalidProtocolBufferException)
        {
            return null; // unreadable details: treat as a status without them
        }

        if (status is null)
        {
            return null;
        }

        ErrorInfo? found = null;
        foreach (var detail in status.Details)
        {
            if (found is null && detail.TryUnpack<ErrorInfo>(out var info) && info.Domain == Domain)
            {
                found = info;
            }
            else if (field is null && detail.TryUnpack<BadRequest>(out var badRequest) && badRequest.FieldViolations.Count > 0)
            {
                field = badRequest.FieldViolations[0].Field;
            }
        }

        return found;
    }
}
