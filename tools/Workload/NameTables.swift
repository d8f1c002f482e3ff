/// The words people, places and texts are made of: common Finnish and Swedish first names (by sex,
/// since the identity code carries it), surnames, streets and towns with real postcodes, and the
/// free texts a collection case collects. Kept as UTF-8 bytes, ready to be written.
///
/// Every name here is common enough to belong to no one in particular; addresses pair real street
/// and town names at random, and e-mail addresses use the reserved `example` domains.
final class NameTables: Sendable {
    struct Town: Sendable {
        let postcode: [UInt8]
        let name: [UInt8]
    }

    let finnishMale: [[UInt8]]
    let finnishFemale: [[UInt8]]
    let finnishSurnames: [[UInt8]]
    let swedishMale: [[UInt8]]
    let swedishFemale: [[UInt8]]
    let swedishSurnames: [[UInt8]]
    let finnishStreets: [[UInt8]]
    let swedishStreets: [[UInt8]]
    let finnishTowns: [Town]
    let swedishTowns: [Town]
    /// The same names folded to lowercase ASCII for e-mail addresses, index for index.
    let finnishMaleASCII: [[UInt8]]
    let finnishFemaleASCII: [[UInt8]]
    let finnishSurnamesASCII: [[UInt8]]
    let swedishMaleASCII: [[UInt8]]
    let swedishFemaleASCII: [[UInt8]]
    let swedishSurnamesASCII: [[UInt8]]

    static let shared = NameTables()

    private init() {
        func words(_ text: String) -> [[UInt8]] {
            text.split(separator: ",").map { Array($0.trimmingSpaces.utf8) }
        }
        func towns(_ text: String) -> [Town] {
            text.split(separator: ";").map { entry in
                let parts = entry.split(separator: "|")
                return Town(postcode: Array(parts[0].trimmingSpaces.utf8), name: Array(parts[1].trimmingSpaces.utf8))
            }
        }
        finnishMale = words(
            """
            Matti, Juha, Mikko, Timo, Jari, Antti, Jukka, Markku, Pekka, Kari, Janne, Ville, Tuomas, Lauri, Eero,
            Väinö, Onni, Elias, Aleksi, Jyrki, Seppo, Hannu, Petri, Sami, Heikki, Olli, Teemu, Jouni, Esa, Risto,
            Ilkka, Pentti, Mika, Tapani, Jussi, Toni, Joonas, Niko, Eino, Aarne, Jan-Erik, Pär
            """)
        finnishFemale = words(
            """
            Maria, Helena, Anna, Johanna, Kaarina, Marjatta, Liisa, Elina, Tuula, Leena, Aino, Sanna, Hanna,
            Riikka, Päivi, Minna, Sari, Tiina, Anne, Katja, Satu, Eveliina, Aada, Sofia, Emilia, Anna-Liisa,
            Marja-Leena, Kyllikki, Sirkka, Pirjo, Ritva, Jaana, Säde, Iida, Venla, Ellen, Ulla-Britt
            """)
        finnishSurnames = words(
            """
            Korhonen, Virtanen, Mäkinen, Nieminen, Mäkelä, Hämäläinen, Laine, Heikkinen, Koskinen, Järvinen,
            Lehtonen, Lehtinen, Saarinen, Salminen, Heinonen, Niemi, Heikkilä, Kinnunen, Salonen, Turunen, Salo,
            Laitinen, Tuominen, Rantanen, Karjalainen, Jokinen, Mattila, Savolainen, Lahtinen, Ahonen,
            Kärkkäinen, Häkkinen, Pääkkönen, Söderström, Öhman, Lindqvist, Väisänen, Ylönen, Åström, Hyvönen
            """)
        swedishMale = words(
            """
            Erik, Lars, Karl, Anders, Johan, Per, Nils, Carl, Mikael, Jan, Hans, Olof, Lennart, Gustav, Björn,
            Sven, Åke, Göran, Stefan, Fredrik, Jonas, Oscar, Axel, Linus, Måns, Pär, Jöns, Karl-Johan
            """)
        swedishFemale = words(
            """
            Anna, Eva, Maria, Karin, Kristina, Lena, Sara, Kerstin, Emma, Ingrid, Marie, Malin, Jenny, Birgitta,
            Astrid, Elsa, Märta, Linnéa, Ebba, Sofia, Åsa, Ulla, Maj-Britt, Agneta, Signe, Tove
            """)
        swedishSurnames = words(
            """
            Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsson, Olsson, Persson, Svensson, Gustafsson,
            Pettersson, Jonsson, Jansson, Hansson, Bengtsson, Jönsson, Lindberg, Jakobsson, Magnusson, Lindström,
            Olofsson, Lindqvist, Lindgren, Berg, Axelsson, Bergström, Lundberg, Lind, Lundgren, Lundqvist,
            Mattsson, Berglund, Fredriksson, Sandberg, Henriksson, Forsberg, Sjöberg, Wallin, Engström, Eklund,
            Danielsson, Håkansson, Åberg, Öberg, Lundén
            """)
        finnishStreets = words(
            """
            Mannerheimintie, Hämeenkatu, Aleksanterinkatu, Kauppakatu, Rautatienkatu, Puistokatu, Koulukatu,
            Kirkkokatu, Satamakatu, Itäinen Pitkäkatu, Kalevankatu, Runeberginkatu, Yliopistonkatu,
            Sibeliuksenkatu, Koivukuja, Pihlajatie, Vaahterakuja, Männikkötie, Järvenrannantie, Kuusitie,
            Tehtaankatu, Väinämöisenkatu, Läntinen Rantakatu, Ratapihantie, Myllytie, Peltotie
            """)
        swedishStreets = words(
            """
            Drottninggatan, Storgatan, Kungsgatan, Vasagatan, Sveavägen, Götgatan, Hornsgatan, Järnvägsgatan,
            Skolgatan, Kyrkogatan, Nygatan, Parkvägen, Björkvägen, Ringvägen, Östra Hamngatan,
            Södra Förstadsgatan, Ängsvägen, Åsögatan, Tallvägen
            """)
        finnishTowns = towns(
            """
            00100|Helsinki; 00530|Helsinki; 00940|Helsinki; 02100|Espoo; 02230|Espoo; 01300|Vantaa;
            33100|Tampere; 33720|Tampere; 20100|Turku; 90100|Oulu; 40100|Jyväskylä; 15110|Lahti; 70100|Kuopio;
            28100|Pori; 53100|Lappeenranta; 13100|Hämeenlinna; 65100|Vaasa; 80100|Joensuu; 96100|Rovaniemi;
            48100|Kotka; 50100|Mikkeli; 06100|Porvoo; 68600|Pietarsaari; 04400|Järvenpää; 05800|Hyvinkää
            """)
        swedishTowns = towns(
            """
            111 20|Stockholm; 118 25|Stockholm; 171 64|Solna; 411 05|Göteborg; 416 64|Göteborg; 211 20|Malmö;
            753 20|Uppsala; 722 11|Västerås; 702 10|Örebro; 582 24|Linköping; 252 20|Helsingborg;
            553 16|Jönköping; 602 32|Norrköping; 222 21|Lund; 903 26|Umeå; 802 50|Gävle; 151 72|Södertälje
            """)
        finnishMaleASCII = finnishMale.map(Self.fold)
        finnishFemaleASCII = finnishFemale.map(Self.fold)
        finnishSurnamesASCII = finnishSurnames.map(Self.fold)
        swedishMaleASCII = swedishMale.map(Self.fold)
        swedishFemaleASCII = swedishFemale.map(Self.fold)
        swedishSurnamesASCII = swedishSurnames.map(Self.fold)
    }

    /// A name as the local part of an e-mail address: lowercase ASCII, the Nordic letters without
    /// their marks (ä → a, ö → o, å → a, é → e), hyphens kept.
    static func fold(_ name: [UInt8]) -> [UInt8] {
        let folded = String(decoding: name, as: UTF8.self).lowercased().unicodeScalars.compactMap {
            scalar -> UInt8? in
            switch scalar {
            case "ä", "å", "á", "à": return UInt8(ascii: "a")
            case "ö", "ø", "ó": return UInt8(ascii: "o")
            case "é", "è": return UInt8(ascii: "e")
            case "ü": return UInt8(ascii: "u")
            case " ": return UInt8(ascii: "-")
            default: return scalar.isASCII ? UInt8(scalar.value) : nil
            }
        }
        return folded
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\n" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\n" { text = text.dropLast() }
        return text
    }
}
