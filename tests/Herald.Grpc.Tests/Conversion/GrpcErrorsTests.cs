using Grpc.Core;
using Herald.Grpc.Service;
using Herald.Protocol;

namespace Herald.Grpc.Tests.Conversion;

/// <summary>The A2A error to gRPC status table of the specification (5.4), code by code.</summary>
public sealed class GrpcErrorsTests
{
    [Theory]
    [InlineData(A2AErrorCodes.TaskNotFound, StatusCode.NotFound, "TASK_NOT_FOUND")]
    [InlineData(A2AErrorCodes.TaskNotCancelable, StatusCode.FailedPrecondition, "TASK_NOT_CANCELABLE")]
    [InlineData(A2AErrorCodes.PushNotificationNotSupported, StatusCode.FailedPrecondition, "PUSH_NOTIFICATION_NOT_SUPPORTED")]
    [InlineData(A2AErrorCodes.UnsupportedOperation, StatusCode.FailedPrecondition, "UNSUPPORTED_OPERATION")]
    [InlineData(A2AErrorCodes.ContentTypeNotSupported, StatusCode.InvalidArgument, "CONTENT_TYPE_NOT_SUPPORTED")]
    [InlineData(A2AErrorCodes.InvalidAgentResponse, StatusCode.Internal, "INVALID_AGENT_RESPONSE")]
    [InlineData(A2AErrorCodes.ExtendedAgentCardNotConfigured, StatusCode.FailedPrecondition, "EXTENDED_AGENT_CARD_NOT_CONFIGURED")]
    [InlineData(A2AErrorCodes.ExtensionSupportRequired, StatusCode.FailedPrecondition, "EXTENSION_SUPPORT_REQUIRED")]
    [InlineData(A2AErrorCodes.VersionNotSupported, StatusCode.FailedPrecondition, "VERSION_NOT_SUPPORTED")]
    [InlineData(A2AErrorCodes.InvalidParams, StatusCode.InvalidArgument, "INVALID_PARAMS")]
    [InlineData(A2AErrorCodes.InternalError, StatusCode.Internal, "INTERNAL")]
    public void ToRpcException_EachA2AError_SpecStatusAndErrorInfo(int code, StatusCode status, string reason)
    {
        var error = GrpcErrors.ToRpcException(new A2AException(code, "what happened") { Details = new Dictionary<string, string> { ["taskId"] = "t-1" } });

        Assert.Equal(status, error.StatusCode);
        Assert.Equal("what happened", error.Status.Detail);
        var info = error.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>();
        Assert.Equal(reason, info.Reason);
        Assert.Equal("a2a-protocol.org", info.Domain);
        Assert.Equal("t-1", info.Metadata["taskId"]);
    }

    [Fact]
    public void ToRpcException_FieldError_BadRequestWithTheField()
    {
        var error = GrpcErrors.ToRpcException(A2AException.InvalidParams("message.parts", "At least one part is required"));

        var violation = Assert.Single(error.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations);
        Assert.Equal("message.parts", violation.Field);
        Assert.Equal("At least one part is required", violation.Description);
    }
}
