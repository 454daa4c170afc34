using System.Net;
using System.Net.Sockets;

namespace Custos.Ssh.Certificates;

/// <summary>
/// The <c>source-address</c> critical option: a comma-separated list of addresses and CIDR blocks
/// (PROTOCOL.certkeys). An entry that does not parse makes the whole list invalid, so the certificate is
/// refused rather than matched loosely.
/// </summary>
public sealed class SourceAddressList
{
    private readonly (byte[] Network, int PrefixLength, AddressFamily Family)[] _entries;

    private SourceAddressList((byte[], int, AddressFamily)[] entries) => _entries = entries;

    /// <summary>Parses the option value; raises <see cref="SshFormatException"/> naming the bad entry.</summary>
    public static SourceAddressList Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string[] items = value.Split(',');
        var entries = new (byte[], int, AddressFamily)[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            entries[i] = ParseEntry(items[i]);
        }

        return new SourceAddressList(entries);
    }

    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        byte[] bytes = address.GetAddressBytes();
        foreach ((byte[] network, int prefix, AddressFamily family) in _entries)
        {
            if (family == address.AddressFamily && PrefixMatches(bytes, network, prefix))
            {
                return true;
            }
        }

        return false;
    }

    private static (byte[], int, AddressFamily) ParseEntry(string entry)
    {
        string text = entry.Trim();
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string addressText = slash < 0 ? text : text[..slash];
        if (addressText.Contains('%', StringComparison.Ordinal) || !IPAddress.TryParse(addressText, out IPAddress? address))
        {
            throw new SshFormatException($"source-address entry '{Truncate(entry)}' is not an IP address or CIDR block.");
        }

        int maxPrefix = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int prefix = maxPrefix;
        if (slash >= 0)
        {
            string prefixText = text[(slash + 1)..];
            if (prefixText.Length is 0 or > 3 || !prefixText.All(char.IsAsciiDigit) || !int.TryParse(prefixText, System.Globalization.CultureInfo.InvariantCulture, out prefix) || prefix > maxPrefix)
            {
                throw new SshFormatException($"source-address entry '{Truncate(entry)}' has an invalid prefix length.");
            }
        }

        byte[] network = address.GetAddressBytes();
        if (!HostBitsAreZero(network, prefix))
        {
            // OpenSSH's addr_pton_cidr refuses blocks with host bits set, e.g. 10.0.0.1/8.
            throw new SshFormatException($"source-address entry '{Truncate(entry)}' has host bits set beyond its prefix.");
        }

        return (network, prefix, address.AddressFamily);
    }

    private static bool HostBitsAreZero(byte[] network, int prefix)
    {
        for (int bit = prefix; bit < network.Length * 8; bit++)
        {
            if ((network[bit / 8] & (0x80 >> (bit % 8))) != 0)
            {
                return false;
            }
        }

        return true;
    }

    private static bool PrefixMatches(byte[] address, byte[] network, int prefix)
    {
        int whole = prefix / 8;
        if (!address.AsSpan(0, whole).SequenceEqual(network.AsSpan(0, whole)))
        {
            return false;
        }

        int rest = prefix % 8;
        if (rest == 0)
        {
            return true;
        }

        int mask = 0xff << (8 - rest) & 0xff;
        return (address[whole] & mask) == (network[whole] & mask);
    }

    private static string Truncate(string value) => value.Length > 64 ? value[..64] + "…" : value;
}
