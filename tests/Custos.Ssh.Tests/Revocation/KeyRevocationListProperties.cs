using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;
using Custos.Ssh.Revocation;
using Custos.Ssh.Wire;
using FsCheck.Xunit;

namespace Custos.Ssh.Tests.Revocation;

public class KeyRevocationListProperties
{
    private static readonly SshPrivateKey Ca = SshPrivateKey.Generate();
    private static readonly SshPublicKey Subject = SshPrivateKey.Generate().PublicKey;

    [Property(MaxTest = 300)]
    public void Random_bytes_after_a_KRL_header_raise_only_the_format_exception(byte[] sections)
    {
        var writer = new SshWriter();
        writer.WriteUInt64(0x5353484b524c0a00UL);
        writer.WriteUInt32(1);
        writer.WriteUInt64(1);
        writer.WriteUInt64(0);
        writer.WriteUInt64(0);
        writer.WriteString([]);
        writer.WriteString([]);
        writer.WriteRaw(sections);
        byte[] data = writer.ToArray();
        HostileInput.OnlyFormatErrors(data.Length, () => KeyRevocationList.Parse(data));
        HostileInput.OnlyFormatErrors(sections.Length, () => KeyRevocationList.Parse(sections));
    }

    [Property(MaxTest = 600)]
    public void Mutated_KRLs_raise_only_the_format_exception_and_answer_lookups(int[] positions, byte[] values, int lengthBomb, int cut, ulong serial)
    {
        byte[] data = HostileInput.Mutate(HostileInput.Valid.Krl, positions, values, lengthBomb, cut);
        SshCertificate probe = SshCertificate.Issue(new SshCertificateFields { Key = Subject, Serial = serial % 200, Principals = ["a"] }, Ca);
        HostileInput.OnlyFormatErrors(data.Length, () => KeyRevocationList.Parse(data).IsRevoked(probe));
    }

    [Property(MaxTest = 150)]
    public void A_KRL_round_trips_and_revokes_exactly_the_serials_it_was_given(ulong[] serials, ulong[] rangeStarts, byte[] rangeLengths, ulong[] probes)
    {
        var builder = new KeyRevocationListBuilder { Version = 1 };
        var revoked = new List<(ulong First, ulong Last)>();
        foreach (ulong raw in serials ?? [])
        {
            ulong serial = raw % 5000 + 1;
            builder.RevokeSerial(Ca.PublicKey, serial);
            revoked.Add((serial, serial));
        }

        for (int i = 0; i < (rangeStarts ?? []).Length; i++)
        {
            ulong first = rangeStarts![i] % 5000 + 1;
            ulong last = first + (rangeLengths is { Length: > 0 } ? rangeLengths[i % rangeLengths.Length] : 0UL);
            builder.RevokeSerials(Ca.PublicKey, first, last);
            revoked.Add((first, last));
        }

        byte[] encoded = builder.Build(TimeProvider.System).Encode();
        KeyRevocationList parsed = KeyRevocationList.Parse(encoded);

        Assert.Equal(encoded, parsed.Encode());
        foreach (ulong raw in (probes ?? []).Concat(serials ?? []).Concat(rangeStarts ?? []))
        {
            ulong serial = raw % 5300 + 1;
            bool expected = revoked.Any(r => serial >= r.First && serial <= r.Last);
            Assert.Equal(expected, parsed.IsRevoked(SshCertificate.Issue(new SshCertificateFields { Key = Subject, Serial = serial, Principals = ["a"] }, Ca)));
        }
    }
}
