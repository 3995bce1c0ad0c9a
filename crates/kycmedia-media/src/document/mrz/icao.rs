//! ICAO 9303 machine-readable zones: how many characters each format
//! prints, what each position may hold, and the check digits that prove a
//! zone was read right (and was not altered).
//!
//! Knowing what a position may hold is half of reading it: a date or a
//! check digit is a digit, a name is letters, so the reader never has to
//! tell `0` from `O` or `5` from `S` there.

/// The three zone layouts of ICAO 9303.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// ID cards: 3 lines of 30 (part 5).
    Td1,
    /// Older ID cards and visas: 2 lines of 36 (part 6).
    Td2,
    /// Passports: 2 lines of 44 (part 4).
    Td3,
}

impl Format {
    pub(crate) fn lines(self) -> usize {
        match self {
            Format::Td1 => 3,
            Format::Td2 | Format::Td3 => 2,
        }
    }

    /// Characters per line.
    pub(crate) fn width(self) -> usize {
        match self {
            Format::Td1 => 30,
            Format::Td2 => 36,
            Format::Td3 => 44,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::Td1 => "td1",
            Format::Td2 => "td2",
            Format::Td3 => "td3",
        }
    }
}

/// The characters a position may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// 0–9: dates and check digits.
    Digit,
    /// 0–9 or the filler: a check digit over a field that may be empty.
    DigitOrFiller,
    /// A–Z or the filler: names, state codes, document codes.
    Letter,
    /// M, F, X or the filler.
    Sex,
    /// 0–9, A–Z or the filler: document numbers and optional data.
    Any,
}

impl Class {
    /// Whether `c` may stand here.
    pub(crate) fn admits(self, c: u8) -> bool {
        match self {
            Class::Digit => c.is_ascii_digit(),
            Class::DigitOrFiller => c.is_ascii_digit() || c == b'<',
            Class::Letter => c.is_ascii_uppercase() || c == b'<',
            Class::Sex => matches!(c, b'M' | b'F' | b'X' | b'<'),
            Class::Any => c.is_ascii_digit() || c.is_ascii_uppercase() || c == b'<',
        }
    }
}

/// What position `pos` of line `line` may hold.
pub(crate) fn class(format: Format, line: usize, pos: usize) -> Class {
    use Class::*;
    match (format, line) {
        // Document code, issuing state, then the number and optional data.
        (Format::Td1, 0) => match pos {
            0..=4 => Letter,
            14 => DigitOrFiller,
            _ => Any,
        },
        (Format::Td1, 1) => match pos {
            0..=6 | 8..=14 | 29 => Digit,
            7 => Sex,
            15..=17 => Letter,
            _ => Any,
        },
        // Names (TD1's third line, the first line of TD2 and TD3).
        (Format::Td1, _) | (_, 0) => Letter,
        (Format::Td2, _) => match pos {
            9 | 13..=19 | 21..=27 | 35 => Digit,
            10..=12 => Letter,
            20 => Sex,
            _ => Any,
        },
        (Format::Td3, _) => match pos {
            9 | 13..=19 | 21..=27 | 43 => Digit,
            10..=12 => Letter,
            20 => Sex,
            42 => DigitOrFiller,
            _ => Any,
        },
    }
}

/// The check digit of `field`: each character's value (0–9, A = 10 …
/// Z = 35, filler 0) weighted 7, 3, 1 in turn, summed, modulo 10.
pub(crate) fn check_digit(field: &[u8]) -> u8 {
    let value = |c: u8| match c {
        b'0'..=b'9' => u32::from(c - b'0'),
        b'A'..=b'Z' => u32::from(c - b'A') + 10,
        _ => 0,
    };
    let sum: u32 = field
        .iter()
        .zip([7, 3, 1].iter().cycle())
        .map(|(&c, &w)| value(c) * w)
        .sum();
    b'0' + (sum % 10) as u8
}

/// Whether every check digit of a zone checks out; `lines` must hold the
/// format's lines at its width (anything else is not valid).
pub(crate) fn valid(format: Format, lines: &[&[u8]]) -> bool {
    if lines.len() != format.lines() || lines.iter().any(|l| l.len() != format.width()) {
        return false;
    }
    let ok = |field: &[u8], digit: u8| check_digit(field) == digit;
    match format {
        Format::Td1 => {
            let (a, b) = (lines[0], lines[1]);
            let number = td1_number(a);
            let composite: Vec<u8> = [&a[5..30], &b[0..7], &b[8..15], &b[18..29]].concat();
            number && ok(&b[0..6], b[6]) && ok(&b[8..14], b[14]) && ok(&composite, b[29])
        }
        Format::Td2 | Format::Td3 => {
            let l = lines[1];
            let last = format.width() - 1;
            let composite: Vec<u8> = [&l[0..10], &l[13..20], &l[21..last]].concat();
            let optional = format != Format::Td3 || optional_data(&l[28..42], l[42]);
            ok(&l[0..9], l[9]) && ok(&l[13..19], l[19]) && ok(&l[21..27], l[27]) && optional && ok(&composite, l[last])
        }
    }
}

/// A TD1 document number: nine characters and their check digit, or, for
/// a longer number, a filler in the check digit's place and the rest of the
/// number in the optional data, ending in its check digit (part 5, 4.2.4).
fn td1_number(a: &[u8]) -> bool {
    if a[14] != b'<' {
        return check_digit(&a[5..14]) == a[14];
    }
    let rest = &a[15..30];
    let Some(end) = rest.iter().position(|&c| c == b'<') else {
        return false;
    };
    if end < 1 {
        return false;
    }
    let number: Vec<u8> = [&a[5..14], &rest[..end - 1]].concat();
    check_digit(&number) == rest[end - 1]
}

/// A passport's personal number check: a digit, or a filler (or zero) when
/// the field is empty.
fn optional_data(field: &[u8], digit: u8) -> bool {
    let empty = field.iter().all(|&c| c == b'<');
    (empty && (digit == b'<' || digit == b'0')) || check_digit(field) == digit
}

#[cfg(test)]
mod tests {
    use super::*;

    // ICAO 9303's own specimens (parts 4, 5 and 6), for the state "Utopia".
    const TD3: [&[u8]; 2] = [
        b"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        b"L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ];
    const TD1: [&[u8]; 3] = [
        b"I<UTOD231458907<<<<<<<<<<<<<<<",
        b"7408122F1204159UTO<<<<<<<<<<<6",
        b"ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    ];
    const TD2: [&[u8]; 2] = [
        b"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
        b"D231458907UTO7408122F1204159<<<<<<<6",
    ];

    #[test]
    fn icaos_specimen_zones_check_out() {
        assert!(valid(Format::Td3, &TD3));
        assert!(valid(Format::Td1, &TD1));
        assert!(valid(Format::Td2, &TD2));
        assert_eq!(check_digit(b"L898902C3"), b'6');
        assert_eq!(check_digit(b"740812"), b'2');
    }

    #[test]
    fn any_changed_character_in_a_checked_field_fails_the_check() {
        for pos in (0..9).chain(13..19).chain(21..27) {
            // One step in value: a change of ten or twenty (L for 1) is
            // one the 7-3-1 weights cannot see, as ICAO acknowledges.
            let mut line = TD3[1].to_vec();
            line[pos] = match line[pos] {
                b'9' => b'0',
                b'Z' => b'A',
                c => c + 1,
            };
            assert!(!valid(Format::Td3, &[TD3[0], &line]), "position {pos}");
        }
        let mut line = TD1[1].to_vec();
        line[29] = b'7';
        assert!(!valid(Format::Td1, &[TD1[0], &line, TD1[2]]));
    }

    #[test]
    fn a_zone_of_the_wrong_shape_is_not_valid() {
        assert!(!valid(Format::Td3, &TD3[..1]));
        assert!(!valid(Format::Td1, &TD3));
        assert!(!valid(Format::Td2, &[b"", b""]));
    }

    #[test]
    fn a_long_td1_document_number_continues_in_the_optional_data() {
        // Part 5's example of a number longer than nine characters.
        let a = b"I<UTOD23145890<AB112234566<<<<";
        let number = [&a[5..14], b"AB11223456"].concat();
        assert_eq!(check_digit(&number), b'6');
        assert!(td1_number(a));
        assert!(!td1_number(b"I<UTOD23145890<<<<<<<<<<<<<<<<"));
    }

    #[test]
    fn every_position_admits_what_the_specimens_print_there() {
        for (format, lines) in [
            (Format::Td3, &TD3[..]),
            (Format::Td1, &TD1[..]),
            (Format::Td2, &TD2[..]),
        ] {
            for (i, line) in lines.iter().enumerate() {
                for (pos, &c) in line.iter().enumerate() {
                    assert!(class(format, i, pos).admits(c), "{format:?} line {i} position {pos}");
                }
            }
        }
        assert!(!class(Format::Td3, 1, 13).admits(b'O'), "a date holds no letters");
        assert!(!class(Format::Td3, 0, 10).admits(b'0'), "a name holds no digits");
    }
}
