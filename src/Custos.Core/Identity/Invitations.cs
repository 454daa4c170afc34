namespace Custos.Core.Identity;

/// <summary>Creates invitations and join tokens (server API and the offline <c>custos admin recover</c> share it).</summary>
public static class Invitations
{
    /// <summary>A new one-time invitation for <paramref name="userId"/>; the token text exists only in the return value.</summary>
    public static (string Token, InvitationRecord Record) New(string userId, InvitationPurpose purpose, TimeSpan ttl, string createdBy, DateTimeOffset now)
    {
        var id = SecretToken.NewId();
        var token = SecretToken.NewIdentified(purpose == InvitationPurpose.BotJoin ? SecretToken.BotJoinPrefix : SecretToken.InvitationPrefix, id);
        var created = StoredTime.Truncate(now);
        return (token, new InvitationRecord(id, userId, purpose, SecretToken.Hash(token), createdBy, created, created + ttl, null));
    }
}
