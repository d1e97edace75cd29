namespace Herald.Grpc.Service;

/// <summary>Whether <c>MapHeraldGrpc</c> ran: the agent card lists only a service that is actually served.</summary>
internal sealed class GrpcMapping
{
    private volatile bool _mapped;

    public bool Mapped
    {
        get => _mapped;
        set => _mapped = value;
    }
}
