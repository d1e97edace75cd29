using System.Text.Json;
using Herald.AspNetCore.Rest;
using Herald.Protocol;

namespace Herald.AspNetCore.Tests.Rest;

/// <summary>
/// Every A2A error as the REST binding writes it, checked field by field against the specification: the HTTP status
/// and google.rpc.Code name of the table in 5.4, the <c>google.rpc.Status</c> body of 11.6 (<c>code</c> is the HTTP
/// status, <c>ErrorInfo</c> with the reason and the <c>a2a-protocol.org</c> domain, metadata, <c>BadRequest</c>).
/// (The end-to-end path of each error through a real server is in the REST run of the error suite.)
/// </summary>
public sealed class RestErrorMappingTests
{
    /// <summary>Spec 5.4, column "HTTP Status", and the gRPC column's names (google.rpc.Code); reasons per 11.6.</summary>
    [Theory]
    [InlineData(A2AErrorCodes.TaskNotFound, 404, "NOT_FOUND", "TASK_NOT_FOUND")]
    [InlineData(A2AErrorCodes.TaskNotCancelable, 400, "FAILED_PRECONDITION", "TASK_NOT_CANCELABLE")]
    [InlineData(A2AErrorCodes.PushNotificationNotSupported, 400, "FAILED_PRECONDITION", "PUSH_NOTIFICATION_NOT_SUPPORTED")]
    [InlineData(A2AErrorCodes.UnsupportedOperation, 400, "FAILED_PRECONDITION", "UNSUPPORTED_OPERATION")]
    [InlineData(A2AErrorCodes.ContentTypeNotSupported, 400, "INVALID_ARGUMENT", "CONTENT_TYPE_NOT_SUPPORTED")]
    [InlineData(A2AErrorCodes.InvalidAgentResponse, 500, "INTERNAL", "INVALID_AGENT_RESPONSE")]
    [InlineData(A2AErrorCodes.ExtendedAgentCardNotConfigured, 400, "FAILED_PRECONDITION", "EXTENDED_AGENT_CARD_NOT_CONFIGURED")]
    [InlineData(A2AErrorCodes.ExtensionSupportRequired, 400, "FAILED_PRECONDITION", "EXTENSION_SUPPORT_REQUIRED")]
    [InlineData(A2AErrorCodes.VersionNotSupported, 400, "FAILED_PRECONDITION", "VERSION_NOT_SUPPORTED")]
    [InlineData(A2AErrorCodes.InvalidParams, 400, "INVALID_ARGUMENT", "INVALID_PARAMS")]
    [InlineData(A2AErrorCodes.ParseError, 400, "INVALID_ARGUMENT", "PARSE_ERROR")]
    [InlineData(A2AErrorCodes.InternalError, 500, "INTERNAL", "INTERNAL")]
    public void ErrorBytes_EachA2AError_HasTheSpecsStatusAndBody(int code, int status, string statusName, string reason)
    {
        var error = new A2AException(code, "what went wrong") { Details = new Dictionary<string, string> { ["taskId"] = "task-123" } };

        using var body = JsonDocument.Parse(RestResponses.ErrorBytes(error));

        Assert.Equal(status, RestStatusMapping.HttpStatus(code));
        var root = body.RootElement;
        Assert.Equal(["error"], root.EnumerateObject().Select(p => p.Name));
        var e = root.GetProperty("error");
        Assert.Equal(["code", "status", "message", "details"], e.EnumerateObject().Select(p => p.Name));
        Assert.Equal(status, e.GetProperty("code").GetInt32());
        Assert.Equal(statusName, e.GetProperty("status").GetString());
        Assert.Equal("what went wrong", e.GetProperty("message").GetString());
        var info = Assert.Single(e.GetProperty("details").EnumerateArray());
        Assert.Equal("type.googleapis.com/google.rpc.ErrorInfo", info.GetProperty("@type").GetString());
        Assert.Equal(reason, info.GetProperty("reason").GetString());
        Assert.Equal("a2a-protocol.org", info.GetProperty("domain").GetString());
        Assert.Equal("task-123", info.GetProperty("metadata").GetProperty("taskId").GetString());
    }

    [Fact]
    public void ErrorBytes_ValidationError_AddsBadRequestNamingTheField()
    {
        using var body = JsonDocument.Parse(RestResponses.ErrorBytes(A2AException.InvalidParams("message.parts", "message.parts must contain at least one part.")));

        var details = body.RootElement.GetProperty("error").GetProperty("details").EnumerateArray().ToList();
        Assert.Equal(["type.googleapis.com/google.rpc.ErrorInfo", "type.googleapis.com/google.rpc.BadRequest"], details.Select(d => d.GetProperty("@type").GetString()));
        var violation = Assert.Single(details[1].GetProperty("fieldViolations").EnumerateArray());
        Assert.Equal("message.parts", violation.GetProperty("field").GetString());
        Assert.Equal("message.parts must contain at least one part.", violation.GetProperty("description").GetString());
    }
}
