namespace Herald.Grpc.Tests.EndToEnd;

// The binding-parameterized end-to-end suites (tests/Shared/EndToEnd/Suites) over gRPC: every suite that applies
// to every binding but ErrorTests, some of whose requests have no protobuf form (an unknown enum name, two members of
// a oneof, a number written as a word): GrpcErrorTests covers every error the gRPC wire can carry. The SSE-only suites
// (keep-alive comments, framing) and the HTTP-body ones (request limits, slow responses) have gRPC counterparts in
// GrpcStreamingTests and GrpcErrorTests.

public sealed class GrpcSendMessageTests : SendMessageTests
{
    protected override WireBinding Binding => GrpcWireBinding.Instance;
}

public sealed class GrpcSubscribeToTaskTests : SubscribeToTaskTests
{
    protected override WireBinding Binding => GrpcWireBinding.Instance;
}

public sealed class GrpcCancelTaskTests : CancelTaskTests
{
    protected override WireBinding Binding => GrpcWireBinding.Instance;
}

public sealed class GrpcTaskQueryTests : TaskQueryTests
{
    protected override WireBinding Binding => GrpcWireBinding.Instance;
}

public sealed class GrpcStreamTests : StreamTests
{
    protected override WireBinding Binding => GrpcWireBinding.Instance;
}

public sealed class GrpcShutdownTests : ShutdownTests
{
    protected override WireBinding Binding => GrpcWireBinding.Instance;
}

public sealed class GrpcSlowSubscriberTests : SlowSubscriberTests
{
    protected override WireBinding Binding => GrpcWireBinding.Instance;
}

public sealed class GrpcGenerationTests : GenerationTests
{
    protected override WireBinding Binding => GrpcWireBinding.Instance;
}

public sealed class GrpcOperationTelemetryTests : OperationTelemetryTests
{
    protected override WireBinding Binding => GrpcWireBinding.Instance;
}
