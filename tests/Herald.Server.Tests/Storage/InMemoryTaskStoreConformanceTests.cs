using Herald.Server.Storage;

namespace Herald.Server.Tests.Storage;

public sealed class InMemoryTaskStoreConformanceTests : TaskStoreConformanceTests
{
    protected override TaskStore CreateStore() => new InMemoryTaskStore(Clock);
}
