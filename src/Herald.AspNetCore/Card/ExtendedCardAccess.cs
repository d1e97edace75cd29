using Herald.AspNetCore.Http;
using Herald.Protocol;
using Microsoft.AspNetCore.Http;

namespace Herald.AspNetCore.Card;

/// <summary>
/// The extended agent card (<c>HeraldOptions.ExtendedCard</c>) for authenticated callers, found through the endpoint's
/// metadata (<c>MapHerald</c> puts it there), so that every HTTP binding serves the same card under the same rule.
/// </summary>
internal sealed class ExtendedCardAccess(AgentCardEndpoint cards, CardSecurity security)
{
    private AgentCardEndpoint Cards => cards;

    private CardSecurity Security => security;

    /// <summary>The card for this request's caller.</summary>
    /// <exception cref="HttpRefusalException">401, after the challenge of every scheme the card declares: the caller is not authenticated.</exception>
    public static async Task<AgentCard> GetAsync(HttpContext context)
    {
        var access = context.GetEndpoint()?.Metadata.GetMetadata<ExtendedCardAccess>()
            ?? throw new InvalidOperationException("The extended card is served only by endpoints mapped with MapHerald.");
        if (!await access.Security.IsAuthenticatedAsync(context).ConfigureAwait(false))
        {
            await access.Security.ChallengeAsync(context).ConfigureAwait(false);
            throw new HttpRefusalException(StatusCodes.Status401Unauthorized, A2AErrorCodes.InvalidRequest,
                "The extended agent card is for authenticated clients: send credentials for one of the schemes in the agent card's securitySchemes.");
        }

        return access.Cards.GetExtendedCard(context);
    }
}
