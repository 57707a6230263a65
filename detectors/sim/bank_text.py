"""Vocabulary and template texts of the bank world (:mod:`detectors.sim.bank`).

Everything here is data: names, domains, merchants, date and number formats, and
the wording of every automated template in English (``en``), German (``de``) and
Spanish (``es``). Each template has several phrasings per language (the bank A/B
tests its copy); the fill-ins (names, amounts, dates, masked IBANs, links) are
drawn by the generator.

Placeholders used by the templates (all filled by the generator):

``{sal}`` formal salutation with the name ("Sehr geehrte Frau Müller"), ``{hi}``
informal one ("Hallo Anna"), ``{amount}``, ``{balance}``, ``{merchant}``,
``{place}``, ``{change}``/``{Change}`` (lower/upper case first letter), ``{date}``, ``{date2}`` (a later date), ``{time}``, ``{card}``,
``{card_short}``, ``{iban}`` (masked), ``{url}``, ``{ref}``, ``{code}`` ...
"""

from __future__ import annotations

LANGS = ("de", "es", "en")

# --------------------------------------------------------------------------- #
# people
# --------------------------------------------------------------------------- #

FIRST_F = {
    "de": ("Anna Maria Laura Julia Lena Sarah Lisa Katharina Sophie Hannah Lea Johanna Claudia Sabine "
           "Petra Susanne Monika Andrea Stefanie Nicole Birgit Ursula Heike Karin Jana Franziska Miriam "
           "Carolin Charlotte Emilia Marie Greta Ingrid Renate Gabriele Silke Tanja Vanessa Nina Elif Aylin "
           "Jasmin Melanie Anja Kerstin Ute Doris Helga Frieda").split(),
    "es": ("María Lucía Carmen Laura Ana Isabel Marta Paula Elena Sara Cristina Raquel Beatriz Pilar Rosa "
           "Nuria Sofía Alba Irene Claudia Andrea Natalia Silvia Patricia Julia Inés Rocío Lorena Montserrat "
           "Ainhoa Mercedes Teresa Noelia Yolanda Lidia Covadonga Itziar Aitana").split(),
    "en": ("Emma Olivia Sophie Emily Charlotte Grace Chloe Hannah Lucy Amelia Jessica Sarah Rebecca Laura "
           "Rachel Megan Katie Ella Ruby Isla Niamh Aoife Priya Zoe Mia Holly Amy Claire Fiona Helen "
           "Siobhan Orla Anjali Harriet").split(),
}
FIRST_M = {
    "de": ("Thomas Michael Andreas Stefan Markus Christian Alexander Daniel Tobias Jan Lukas Felix Jonas "
           "Maximilian Paul Leon Florian Sebastian Matthias Jürgen Klaus Wolfgang Uwe Frank Dirk Holger Ralf "
           "Sven Tim Philipp Moritz Niklas David Emre Mehmet Piotr Bernd Heinz Kai Lars Benedikt Till").split(),
    "es": ("Antonio José Manuel Francisco David Juan Javier Daniel Carlos Jesús Alejandro Miguel Rafael "
           "Pablo Sergio Fernando Jorge Luis Alberto Álvaro Adrián Diego Raúl Iván Rubén Óscar Andrés "
           "Ignacio Marcos Hugo Joaquín Gonzalo Iker Xavier Jordi").split(),
    "en": ("James Oliver Jack Harry George Thomas William Daniel Samuel Joseph Matthew Luke Ryan Adam "
           "Michael David Ben Liam Connor Sean Patrick Aidan Rohan Arjun Tom Chris Mark Paul Andrew Peter "
           "Ciarán Oisín Callum Dylan").split(),
}
LAST = {
    "de": ("Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer "
           "Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange "
           "Schmitt Werner Schmitz Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann König Walter "
           "Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Vogel Friedrich Keller Günther "
           "Frank Berger Winkler Roth Beck Lorenz Baumann Yılmaz Kaya Nowak Kowalski Öztürk Vogt Brandt "
           "Haas Sommer Graf Dietrich Engel Kühn Pohl").split(),
    "es": ("García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz "
           "Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez Vázquez "
           "Ramos Gil Ramírez Serrano Blanco Molina Morales Suárez Ortega Delgado Castro Ortiz Rubio Marín "
           "Sanz Iglesias Núñez Medina Garrido Cortés Castillo Santos Lozano Guerrero Cano Prieto Echeverría "
           "Puig Ferrer Vidal Aguirre").split(),
    "en": ("Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson "
           "Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner "
           "Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen Murphy O'Brien "
           "Kelly Byrne Walsh Ryan O'Sullivan Doyle Murray Campbell Khan Shah").split(),
}

# (domain, {language: weight}); a customer's domain is drawn given the language
FREEMAIL = (
    ("gmail.com", {"de": 22, "es": 34, "en": 34}),
    ("gmx.de", {"de": 20}),
    ("web.de", {"de": 19}),
    ("t-online.de", {"de": 11}),
    ("gmx.net", {"de": 6}),
    ("freenet.de", {"de": 3}),
    ("posteo.de", {"de": 2}),
    ("mail.de", {"de": 1}),
    ("hotmail.es", {"es": 15}),
    ("yahoo.es", {"es": 10}),
    ("outlook.es", {"es": 6}),
    ("telefonica.net", {"es": 4}),
    ("movistar.es", {"es": 2}),
    ("outlook.com", {"de": 4, "es": 8, "en": 15}),
    ("hotmail.com", {"de": 2, "es": 9, "en": 12}),
    ("icloud.com", {"de": 5, "es": 6, "en": 12}),
    ("yahoo.com", {"en": 7, "es": 2, "de": 1}),
    ("yahoo.co.uk", {"en": 5}),
    ("btinternet.com", {"en": 3}),
    ("eircom.net", {"en": 2}),
    ("proton.me", {"de": 2, "en": 3, "es": 1}),
)

# business customers: "{trade}-{name}.{tld}" (German, Spanish) or "{name}-{trade}.{tld}" (English)
TRADES = {
    "de": ("baeckerei", "autohaus", "kanzlei", "schreinerei", "elektro", "logistik", "praxis", "steuerberatung",
           "gartenbau", "malerbetrieb", "immobilien", "physio", "metallbau", "reisebuero", "optik"),
    "es": ("ferreteria", "asesoria", "talleres", "panaderia", "clinica", "construcciones", "inmobiliaria",
           "transportes", "farmacia", "consultoria", "distribuciones", "carpinteria"),
    "en": ("accountants", "consulting", "design", "builders", "dental", "legal", "logistics", "studio",
           "property", "engineering", "media"),
}
TRADE_TLDS = {"de": (".de", ".de", ".de", ".com"), "es": (".es", ".es", ".com"),
              "en": (".co.uk", ".ie", ".com", ".eu")}
ROLE_LOCALS = {"de": ("info", "buchhaltung", "kontakt", "office"), "es": ("info", "contabilidad", "administracion"),
               "en": ("accounts", "info", "office", "finance")}

# --------------------------------------------------------------------------- #
# calendar and numbers
# --------------------------------------------------------------------------- #

MONTHS = {
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}
WEEKDAYS = {
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
IBAN_COUNTRY = {"de": ("DE",), "es": ("ES",), "en": ("DE", "IE", "NL", "DE")}

# --------------------------------------------------------------------------- #
# merchants, places, devices
# --------------------------------------------------------------------------- #

# (merchant, min EUR, max EUR)
MERCHANTS = {
    "de": (("REWE", 6, 120), ("EDEKA", 5, 110), ("Lidl", 4, 90), ("ALDI SÜD", 4, 85), ("ALDI Nord", 4, 80),
           ("dm-drogerie markt", 3, 60), ("Rossmann", 3, 50), ("Deutsche Bahn", 9, 180), ("Aral", 30, 95),
           ("Shell", 30, 95), ("MediaMarkt", 20, 900), ("IKEA", 15, 600), ("Kaufland", 8, 140),
           ("Apotheke am Markt", 5, 60), ("Decathlon", 15, 200), ("H&M", 15, 120), ("Tchibo", 5, 80),
           ("Bäckerei Kamps", 2, 15), ("BVG Fahrkarten", 3, 90), ("MVG Automat", 3, 15), ("Netto", 4, 70),
           ("OBI Baumarkt", 10, 350), ("Saturn", 20, 700), ("Thalia", 8, 60), ("Burger King", 6, 30)),
    "es": (("Mercadona", 6, 140), ("Carrefour", 8, 160), ("El Corte Inglés", 15, 400), ("Dia", 4, 60),
           ("Eroski", 6, 110), ("Lidl", 4, 90), ("Renfe", 8, 120), ("Repsol", 30, 90), ("Cepsa", 30, 90),
           ("Zara", 15, 150), ("Mango", 15, 130), ("Primark", 6, 80), ("Telepizza", 10, 40),
           ("Farmacia Central", 4, 50), ("Leroy Merlin", 10, 400), ("Metro de Madrid", 2, 20),
           ("MediaMarkt", 20, 800), ("Decathlon", 15, 200), ("Alcampo", 8, 150), ("Bar El Rincón", 3, 35)),
    "en": (("Tesco", 5, 120), ("Dunnes Stores", 5, 110), ("Starbucks", 3, 15), ("Boots", 4, 60),
           ("Albert Heijn", 5, 90), ("Pret A Manger", 4, 20), ("Lidl", 4, 90), ("Primark", 6, 80),
           ("SuperValu", 5, 100), ("Irish Rail", 5, 60), ("Circle K", 30, 90), ("Penneys", 6, 70)),
    "online": (("Amazon EU", 5, 300), ("Zalando", 20, 250), ("Spotify", 10.99, 17.99), ("Netflix", 7.99, 19.99),
               ("APPLE.COM/BILL", 0.99, 29.99), ("Google Play", 0.99, 19.99), ("PAYPAL *EBAY", 5, 200),
               ("Uber", 6, 45), ("Bolt", 4, 30), ("Booking.com", 60, 900), ("Airbnb", 80, 1200),
               ("Ryanair", 25, 350), ("Lufthansa", 90, 900), ("Iberia", 60, 700), ("Vinted", 4, 60),
               ("Steam", 4, 70), ("Temu", 5, 80), ("Wolt", 12, 50), ("Glovo", 10, 45), ("Lieferando", 12, 55)),
}
ONLINE_PLACE = ("online", "Luxemburg", "Dublin", "Amsterdam", "Stockholm", "online")
CITIES = {
    "de": ("Berlin", "München", "Hamburg", "Köln", "Frankfurt am Main", "Stuttgart", "Leipzig", "Düsseldorf",
           "Nürnberg", "Hannover", "Dresden", "Bremen", "Freiburg", "Münster", "Augsburg"),
    "es": ("Madrid", "Barcelona", "Valencia", "Sevilla", "Zaragoza", "Málaga", "Bilbao", "Palma", "Murcia",
           "Alicante", "Valladolid", "Granada", "A Coruña", "San Sebastián"),
    "en": ("Dublin", "Cork", "Amsterdam", "Berlin", "London", "Galway", "Rotterdam", "Manchester", "Munich"),
}
COUNTRY = {"de": {"de": "Deutschland", "es": "Spanien", "en": "Irland"},
           "es": {"de": "Alemania", "es": "España", "en": "Irlanda"},
           "en": {"de": "Germany", "es": "Spain", "en": "Ireland"}}
DEVICES = ("iPhone 15 (iOS 18.3)", "iPhone 13 (iOS 17.6)", "Samsung Galaxy S23 (Android 14)",
           "Google Pixel 8 (Android 15)", "Chrome 134 / Windows 11", "Safari / macOS 15", "Firefox 136 / Ubuntu",
           "Edge 134 / Windows 10", "iPad (iPadOS 18)", "Xiaomi Redmi Note 12 (Android 13)",
           "Samsung Galaxy A54 (Android 14)", "Chrome 133 / macOS 14")
CARD_TYPES = {"de": ("Visa Debitkarte", "Mastercard Debit", "Visa Kreditkarte", "girocard"),
              "es": ("tarjeta Visa Débito", "tarjeta Mastercard Débito", "tarjeta de crédito Visa"),
              "en": ("Visa Debit card", "Mastercard Debit card", "Visa Credit card")}
DECLINE_REASONS = {
    "de": ("Tageslimit überschritten", "falsche PIN eingegeben", "Karte vorübergehend gesperrt",
           "Online-Zahlungen für diese Karte deaktiviert", "nicht genügend Guthaben"),
    "es": ("límite diario superado", "PIN incorrecto", "tarjeta bloqueada temporalmente",
           "pagos online desactivados para esta tarjeta", "saldo insuficiente"),
    "en": ("daily limit exceeded", "incorrect PIN entered", "card temporarily frozen",
           "online payments disabled for this card", "insufficient funds"),
}
OTP_PURPOSES = {  # (noun phrase, verb phrase)
    "de": (("Anmeldung im Online-Banking", "Ihre Anmeldung zu bestätigen"),
           ("Freigabe einer Überweisung", "die Überweisung freizugeben"),
           ("Änderung Ihrer Mobilnummer", "die Änderung Ihrer Mobilnummer zu bestätigen"),
           ("Aktivierung der NordBank-App", "die App auf Ihrem neuen Gerät zu aktivieren"),
           ("Online-Kartenzahlung (3-D Secure)", "Ihre Kartenzahlung zu bestätigen")),
    "es": (("inicio de sesión en la banca online", "confirmar su inicio de sesión"),
           ("autorización de una transferencia", "autorizar la transferencia"),
           ("cambio de su número de móvil", "confirmar el cambio de su número de móvil"),
           ("activación de la app de NordBank", "activar la app en su nuevo dispositivo"),
           ("pago online con tarjeta (3-D Secure)", "confirmar su pago con tarjeta")),
    "en": (("signing in to online banking", "confirm your sign-in"),
           ("approving a transfer", "approve the transfer"),
           ("changing your mobile number", "confirm the change of your mobile number"),
           ("activating the NordBank app", "activate the app on your new device"),
           ("online card payment (3-D Secure)", "confirm your card payment")),
}
ACCOUNT_CHANGES = {
    "de": ("Ihre Anschrift wurde geändert", "Ihre Mobilnummer wurde geändert",
           "das Tageslimit für Überweisungen wurde angepasst", "Ihre E-Mail-Adresse wurde geändert",
           "Ihr Freistellungsauftrag wurde geändert", "ein neues Referenzkonto wurde hinterlegt",
           "das Limit Ihrer Karte wurde angepasst", "Ihr Dispositionsrahmen wurde angepasst"),
    "es": ("se ha modificado su dirección postal", "se ha modificado su número de móvil",
           "se ha ajustado el límite diario de transferencias", "se ha modificado su dirección de correo",
           "se ha registrado una nueva cuenta de referencia", "se ha ajustado el límite de su tarjeta",
           "se ha actualizado su situación fiscal"),
    "en": ("your postal address was changed", "your mobile number was changed",
           "your daily transfer limit was adjusted", "your email address was changed",
           "a new reference account was added", "your card limit was adjusted",
           "your overdraft limit was adjusted"),
}
PAYERS = {
    "de": ("Gehalt Stadtwerke München GmbH", "Deutsche Rentenversicherung", "Finanzamt Köln-Mitte", "Familienkasse",
           "Siemens AG", "Bosch GmbH", "Techniker Krankenkasse", "PayPal Europe", "Amazon Payments Europe"),
    "es": ("Nómina Telefónica de España SAU", "Seguridad Social", "Agencia Tributaria", "Iberdrola Clientes",
           "Mercadona SA", "Bizum", "PayPal Europe", "Ayuntamiento de Valencia"),
    "en": ("Salary Accenture Ltd", "Revenue Commissioners", "PayPal Europe", "Stripe Payments Europe",
           "Google Ireland Ltd", "Booking.com BV", "Wise Europe"),
}
TRANSFER_PURPOSES = {
    "de": ("Gehalt {month}", "Miete {month}", "Erstattung", "Rückzahlung", "Geburtstagsgeschenk", "Nebenkosten",
           "Rechnung {ref}", "Kindergeld"),
    "es": ("Nómina {month}", "Alquiler {month}", "Devolución", "Reembolso", "Regalo", "Gastos comunidad",
           "Factura {ref}"),
    "en": ("Salary {month}", "Rent {month}", "Refund", "Repayment", "Birthday present", "Invoice {ref}",
           "Expenses"),
}

# --------------------------------------------------------------------------- #
# templates: name -> language -> ((subject, body), ...) phrasings
# --------------------------------------------------------------------------- #

TEMPLATES: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {}

TEMPLATES["card_payment"] = {
    "de": (
        ("Kartenzahlung über {amount} bei {merchant}",
         "{hi},\n\nmit Ihrer {card} wurde soeben eine Zahlung autorisiert:\n\nBetrag: {amount}\nHändler: {merchant}, "
         "{place}\nDatum: {date}, {time} Uhr\n\nWaren Sie das nicht? Sperren Sie Ihre Karte sofort in der NordBank-App "
         "oder unter +49 69 1234 5000 (rund um die Uhr).\n\nIhre NordBank"),
        ("Neue Zahlung mit Ihrer Karte {card_short}",
         "{hi},\n\n{date} um {time} Uhr: {amount} bei {merchant} ({place}) mit Ihrer {card}.\n\nAlle Umsätze finden "
         "Sie in der App unter 'Karten'.\nNicht von Ihnen? Karte sperren: {url}\n\nViele Grüße\nIhre NordBank"),
    ),
    "es": (
        ("Pago con tarjeta de {amount} en {merchant}",
         "{hi}:\n\nSe ha autorizado un pago con su {card}:\n\nImporte: {amount}\nComercio: {merchant}, {place}\n"
         "Fecha: {date}, {time} h\n\n¿No ha sido usted? Bloquee su tarjeta ahora en la app de NordBank o llamando al "
         "+34 91 123 45 00 (24 horas).\n\nNordBank"),
        ("Nuevo pago con su tarjeta {card_short}",
         "{hi}:\n\nEl {date} a las {time} h se cargaron {amount} en {merchant} ({place}) con su {card}.\n\nPuede "
         "consultar todos sus movimientos en la app, en 'Tarjetas'.\n¿No reconoce este pago? Bloquear tarjeta: {url}"
         "\n\nUn saludo,\nNordBank"),
    ),
    "en": (
        ("Card payment of {amount} at {merchant}",
         "{hi},\n\nA payment was just authorised on your {card}:\n\nAmount: {amount}\nMerchant: {merchant}, {place}\n"
         "Date: {date}, {time}\n\nNot you? Freeze your card straight away in the NordBank app or call "
         "+49 69 1234 5000 (24/7).\n\nNordBank"),
        ("New payment on your card {card_short}",
         "{hi},\n\n{amount} at {merchant} ({place}) on {date} at {time}, paid with your {card}.\n\nSee all your "
         "transactions in the app under 'Cards'.\nDon't recognise it? Freeze your card: {url}\n\nThanks,\nNordBank"),
        ("You spent {amount} at {merchant}",
         "{hi},\n\nYour {card} was used for {amount} at {merchant} ({place}) on {date}, {time}.\n\nIf this wasn't "
         "you, freeze the card in the app and call us on +49 69 1234 5000.\n\nNordBank"),
    ),
}

TEMPLATES["card_declined"] = {
    "de": (
        ("Zahlung abgelehnt: {amount} bei {merchant}",
         "{hi},\n\neine Zahlung mit Ihrer {card} wurde abgelehnt.\n\nBetrag: {amount}\nHändler: {merchant}\nGrund: "
         "{reason}\nZeitpunkt: {date}, {time} Uhr\n\nIhre Limits und Einstellungen können Sie in der App unter "
         "'Karten' ändern.\n\nIhre NordBank"),
        ("Ihre Kartenzahlung konnte nicht ausgeführt werden",
         "{hi},\n\nam {date} um {time} Uhr haben wir eine Zahlung über {amount} bei {merchant} abgelehnt ({reason}).\n"
         "\nFalls Sie die Zahlung nicht selbst versucht haben, sperren Sie Ihre Karte bitte in der App.\n\n"
         "Viele Grüße\nIhre NordBank"),
    ),
    "es": (
        ("Pago rechazado: {amount} en {merchant}",
         "{hi}:\n\nSe ha rechazado un pago con su {card}.\n\nImporte: {amount}\nComercio: {merchant}\nMotivo: {reason}\n"
         "Fecha: {date}, {time} h\n\nPuede cambiar sus límites en la app, en 'Tarjetas'.\n\nNordBank"),
        ("No hemos podido realizar su pago con tarjeta",
         "{hi}:\n\nEl {date} a las {time} h rechazamos un pago de {amount} en {merchant} ({reason}).\n\nSi no ha "
         "intentado realizar este pago, bloquee su tarjeta desde la app.\n\nUn saludo,\nNordBank"),
    ),
    "en": (
        ("Payment declined: {amount} at {merchant}",
         "{hi},\n\nA payment with your {card} was declined.\n\nAmount: {amount}\nMerchant: {merchant}\nReason: {reason}"
         "\nTime: {date}, {time}\n\nYou can change your limits in the app under 'Cards'.\n\nNordBank"),
        ("We couldn't process your card payment",
         "{hi},\n\nOn {date} at {time} we declined a payment of {amount} at {merchant} ({reason}).\n\nIf you didn't "
         "try to make this payment, please freeze your card in the app.\n\nThanks,\nNordBank"),
    ),
}

TEMPLATES["card_dispatched"] = {
    "de": (
        ("Ihre neue {card_type} ist unterwegs",
         "{sal},\n\nIhre neue {card_type} mit der Endung {card_last} wurde heute an Ihre hinterlegte Anschrift "
         "verschickt. Sie sollte bis zum {date2} bei Ihnen sein.\n\nIhre PIN erhalten Sie getrennt per Post oder "
         "können sie in der App anzeigen lassen. Wir senden Ihnen Ihre PIN niemals per E-Mail.\n\nMit freundlichen "
         "Grüßen\nIhre NordBank"),
        ("Versandbestätigung: Ihre NordBank-Karte",
         "{sal},\n\nwir haben Ihre {card_type} (Endung {card_last}) am {date} verschickt. Bitte aktivieren Sie die "
         "Karte nach Erhalt in der App unter 'Karten' > 'Karte aktivieren'.\n\nFreundliche Grüße\nIhre NordBank"),
    ),
    "es": (
        ("Su nueva {card_type} está en camino",
         "{sal}:\n\nHemos enviado hoy su nueva {card_type} terminada en {card_last} a la dirección que nos consta. "
         "La recibirá antes del {date2}.\n\nRecibirá el PIN por correo postal por separado o podrá consultarlo en la "
         "app. Nunca le enviaremos su PIN por correo electrónico.\n\nAtentamente,\nNordBank"),
        ("Confirmación de envío: su tarjeta NordBank",
         "{sal}:\n\nEl {date} enviamos su {card_type} (terminada en {card_last}). Actívela cuando la reciba desde la "
         "app, en 'Tarjetas' > 'Activar tarjeta'.\n\nUn saludo,\nNordBank"),
    ),
    "en": (
        ("Your new {card_type} is on its way",
         "{sal},\n\nYour new {card_type} ending {card_last} was posted today to your registered address and should "
         "arrive by {date2}.\n\nYour PIN will arrive separately by post, or you can view it in the app. We will never "
         "send your PIN by email.\n\nKind regards,\nNordBank"),
        ("Dispatch confirmation: your NordBank card",
         "{sal},\n\nWe posted your {card_type} (ending {card_last}) on {date}. Please activate it in the app under "
         "'Cards' > 'Activate card' once it arrives.\n\nBest regards,\nNordBank"),
    ),
}

TEMPLATES["otp_code"] = {
    "de": (
        ("Ihr Bestätigungscode: {code}",
         "Ihr Bestätigungscode lautet {code}.\n\nDer Code ist {minutes} Minuten gültig und gilt nur für: {purpose}.\n\n"
         "Geben Sie diesen Code niemals weiter – auch nicht an Mitarbeiter der NordBank. Wir fragen Sie niemals am "
         "Telefon oder per E-Mail nach diesem Code.\n\nIhre NordBank"),
        ("{code} ist Ihr NordBank-Code",
         "Hallo,\n\nverwenden Sie den Code {code}, um {purpose_verb}. Er läuft um {expiry} Uhr ab.\n\nSie haben keinen "
         "Code angefordert? Dann ändern Sie bitte Ihr Passwort in der App.\n\nIhre NordBank"),
    ),
    "es": (
        ("Su código de verificación: {code}",
         "Su código es {code}.\n\nEs válido durante {minutes} minutos y solo sirve para: {purpose}.\n\nNo comparta este "
         "código con nadie, ni siquiera con empleados de NordBank. Nunca le pediremos este código por teléfono ni por "
         "correo electrónico.\n\nNordBank"),
        ("{code} es su código de NordBank",
         "Hola:\n\nUtilice el código {code} para {purpose_verb}. Caduca a las {expiry} h.\n\n¿No ha solicitado ningún "
         "código? Cambie su contraseña desde la app.\n\nNordBank"),
    ),
    "en": (
        ("Your verification code: {code}",
         "Your code is {code}.\n\nIt is valid for {minutes} minutes and can only be used for: {purpose}.\n\nNever "
         "share this code with anyone, not even NordBank staff. We will never ask you for this code by phone or "
         "email.\n\nNordBank"),
        ("{code} is your NordBank code",
         "Hello,\n\nUse {code} to {purpose_verb}. It expires at {expiry}.\n\nDidn't request a code? Please change your "
         "password in the app.\n\nNordBank"),
    ),
}

TEMPLATES["password_reset"] = {
    "de": (
        ("Passwort zurücksetzen",
         "{hi},\n\nwir haben eine Anfrage erhalten, das Passwort für Ihr Online-Banking zurückzusetzen.\n\nNeues "
         "Passwort festlegen:\n{url}\n\nDer Link ist {hours} Stunden gültig. Wenn Sie das nicht waren, können Sie diese "
         "E-Mail ignorieren – Ihr Passwort bleibt unverändert.\n\nWir werden Sie niemals per E-Mail nach Ihrem Passwort "
         "fragen.\n\nIhre NordBank"),
        ("Ihr neues Passwort für das NordBank Online-Banking",
         "{sal},\n\nSie haben am {date} um {time} Uhr ein neues Passwort angefordert. Klicken Sie auf den folgenden "
         "Link, um es festzulegen: {url}\n\nAus Sicherheitsgründen läuft der Link nach {hours} Stunden ab.\nHinweis: "
         "Mitarbeiter der NordBank fragen Sie niemals nach Ihrem Passwort oder Ihrer PIN.\n\nMit freundlichen Grüßen\n"
         "Ihre NordBank"),
    ),
    "es": (
        ("Restablecer su contraseña",
         "{hi}:\n\nHemos recibido una solicitud para restablecer la contraseña de su banca online.\n\nCrear una nueva "
         "contraseña:\n{url}\n\nEl enlace es válido durante {hours} horas. Si no ha sido usted, ignore este correo: su "
         "contraseña no cambiará.\n\nNunca le pediremos su contraseña por correo electrónico.\n\nNordBank"),
        ("Su nueva contraseña de NordBank",
         "{sal}:\n\nEl {date} a las {time} h solicitó una nueva contraseña. Pulse en el siguiente enlace para crearla: "
         "{url}\n\nPor seguridad, el enlace caduca en {hours} horas.\nRecuerde: nuestros empleados nunca le pedirán su "
         "contraseña ni su PIN.\n\nAtentamente,\nNordBank"),
    ),
    "en": (
        ("Reset your password",
         "{hi},\n\nWe received a request to reset your online banking password.\n\nChoose a new password:\n{url}\n\n"
         "The link is valid for {hours} hours. If this wasn't you, ignore this email and your password stays the "
         "same.\n\nWe will never ask for your password by email.\n\nNordBank"),
        ("Your new NordBank password",
         "{sal},\n\nYou asked for a new password on {date} at {time}. Follow this link to set it: {url}\n\nFor your "
         "security the link expires after {hours} hours.\nPlease note: NordBank staff will never ask for your password "
         "or PIN.\n\nKind regards,\nNordBank"),
    ),
}

TEMPLATES["login_notice"] = {
    "de": (
        ("Neue Anmeldung in Ihrem Online-Banking",
         "{hi},\n\nam {date} um {time} Uhr hat sich jemand mit Ihren Zugangsdaten angemeldet.\n\nGerät: {device}\n"
         "Ort (ungefähr): {loc}\n\nWaren Sie das? Dann ist alles in Ordnung. Falls nicht, ändern Sie sofort Ihr "
         "Passwort und sperren Sie den Zugang unter {url}.\n\nIhre NordBank"),
        ("Anmeldung von {device}",
         "{hi},\n\nwir haben eine Anmeldung bei Ihrem NordBank-Konto festgestellt ({date}, {time} Uhr, {loc}).\n\n"
         "Sie erkennen diese Anmeldung nicht? Rufen Sie uns unter +49 69 1234 5000 an.\n\nIhre NordBank"),
    ),
    "es": (
        ("Nuevo inicio de sesión en su banca online",
         "{hi}:\n\nEl {date} a las {time} h alguien inició sesión con sus credenciales.\n\nDispositivo: {device}\n"
         "Ubicación (aproximada): {loc}\n\n¿Ha sido usted? Entonces no tiene que hacer nada. Si no, cambie su "
         "contraseña inmediatamente y bloquee el acceso en {url}.\n\nNordBank"),
        ("Inicio de sesión desde {device}",
         "{hi}:\n\nHemos detectado un inicio de sesión en su cuenta NordBank ({date}, {time} h, {loc}).\n\n¿No lo "
         "reconoce? Llámenos al +34 91 123 45 00.\n\nNordBank"),
    ),
    "en": (
        ("New sign-in to your online banking",
         "{hi},\n\nSomeone signed in with your credentials on {date} at {time}.\n\nDevice: {device}\nLocation "
         "(approximate): {loc}\n\nWas this you? Then there's nothing to do. If not, change your password now and "
         "lock access at {url}.\n\nNordBank"),
        ("Sign-in from {device}",
         "{hi},\n\nWe noticed a sign-in to your NordBank account ({date}, {time}, {loc}).\n\nDon't recognise it? "
         "Call us on +49 69 1234 5000.\n\nNordBank"),
    ),
}

TEMPLATES["new_device"] = {
    "de": (
        ("Neues Gerät für die NordBank-App registriert",
         "{sal},\n\nam {date} wurde die NordBank-App auf einem neuen Gerät aktiviert: {device}.\n\nWenn Sie das "
         "nicht waren, rufen Sie uns bitte sofort an: +49 69 1234 5000. Ihre PIN, Ihr Passwort oder TANs fragen wir "
         "niemals per E-Mail ab.\n\nMit freundlichen Grüßen\nIhre NordBank"),
        ("Sicherheitsinfo: neues Gerät",
         "{hi},\n\nIhr Konto ist jetzt mit einem neuen Gerät verbunden ({device}, {date}, {time} Uhr). Ältere Geräte "
         "können Sie in der App unter 'Sicherheit' > 'Geräte' entfernen.\n\nIhre NordBank"),
    ),
    "es": (
        ("Nuevo dispositivo registrado en la app de NordBank",
         "{sal}:\n\nEl {date} se activó la app de NordBank en un nuevo dispositivo: {device}.\n\nSi no ha sido usted, "
         "llámenos de inmediato al +34 91 123 45 00. Nunca le pediremos su PIN, su contraseña ni sus claves por "
         "correo electrónico.\n\nAtentamente,\nNordBank"),
        ("Aviso de seguridad: nuevo dispositivo",
         "{hi}:\n\nSu cuenta está vinculada a un nuevo dispositivo ({device}, {date}, {time} h). Puede eliminar "
         "dispositivos antiguos en la app, en 'Seguridad' > 'Dispositivos'.\n\nNordBank"),
    ),
    "en": (
        ("New device registered for the NordBank app",
         "{sal},\n\nOn {date} the NordBank app was activated on a new device: {device}.\n\nIf this wasn't you, call "
         "us straight away on +49 69 1234 5000. We will never ask for your PIN, password or codes by email.\n\n"
         "Kind regards,\nNordBank"),
        ("Security info: new device",
         "{hi},\n\nYour account is now linked to a new device ({device}, {date}, {time}). You can remove old devices "
         "in the app under 'Security' > 'Devices'.\n\nNordBank"),
    ),
}

TEMPLATES["security_notice"] = {
    "de": (
        ("Sicherheitshinweis: Vorsicht vor Phishing-E-Mails",
         "{hi},\n\nderzeit sind gefälschte E-Mails im Umlauf, die angeblich von der NordBank stammen. Sie fordern dazu "
         "auf, Zugangsdaten auf einer Webseite einzugeben oder per Antwort zu senden.\n\nBitte beachten Sie: Wir werden "
         "Sie niemals per E-Mail nach Ihrem Passwort, Ihrer PIN oder TAN fragen. Geben Sie Ihre Daten ausschließlich in "
         "der NordBank-App oder unter https://banking.nordbank.eu ein.\n\nVerdächtige E-Mails leiten Sie bitte an "
         "phishing@nordbank.eu weiter.\n\nIhre NordBank"),
        ("Ihre Sicherheit ist uns wichtig",
         "{sal},\n\nBetrüger geben sich am Telefon und per E-Mail als Bankmitarbeiter aus. Wir werden Sie niemals per "
         "E-Mail nach Ihrem Passwort fragen und niemals um Fotos Ihrer Karte oder Ihres Ausweises per E-Mail bitten.\n\n"
         "Unsere Tipps: {tip}\n\nMehr dazu: https://www.nordbank.eu/sicherheit\n\nMit freundlichen Grüßen\nIhre NordBank"),
    ),
    "es": (
        ("Aviso de seguridad: cuidado con los correos de phishing",
         "{hi}:\n\nEstán circulando correos falsos que dicen proceder de NordBank y piden introducir sus claves en una "
         "web o enviarlas respondiendo al mensaje.\n\nRecuerde: nunca le pediremos su contraseña, su PIN ni sus claves "
         "por correo electrónico. Introduzca sus datos únicamente en la app de NordBank o en https://banking.nordbank.eu."
         "\n\nReenvíe los correos sospechosos a phishing@nordbank.eu.\n\nNordBank"),
        ("Su seguridad es lo primero",
         "{sal}:\n\nHay estafadores que se hacen pasar por empleados del banco por teléfono y por correo. Nunca le "
         "pediremos su contraseña por correo electrónico ni fotos de su tarjeta o de su DNI por email.\n\nNuestros "
         "consejos: {tip}\n\nMás información: https://www.nordbank.eu/seguridad\n\nAtentamente,\nNordBank"),
    ),
    "en": (
        ("Security notice: beware of phishing emails",
         "{hi},\n\nFake emails claiming to come from NordBank are circulating. They ask you to enter your login "
         "details on a website or to send them by replying.\n\nPlease remember: we will never ask for your password "
         "or PIN by email. Only enter your details in the NordBank app or at https://banking.nordbank.eu.\n\nPlease "
         "forward suspicious emails to phishing@nordbank.eu.\n\nNordBank"),
        ("Your security matters to us",
         "{sal},\n\nFraudsters pretend to be bank staff on the phone and by email. We will never ask for your password "
         "by email, and never for photos of your card or ID by email.\n\nOur tips: {tip}\n\nMore: "
         "https://www.nordbank.eu/security\n\nKind regards,\nNordBank"),
    ),
}
SECURITY_TIPS = {
    "de": ("Klicken Sie nicht auf Links in unerwarteten Nachrichten.", "Aktivieren Sie Push-Benachrichtigungen für alle "
           "Kartenzahlungen.", "Legen Sie auf, wenn jemand am Telefon nach Codes fragt.",
           "Prüfen Sie die Absenderadresse genau."),
    "es": ("No pulse enlaces de mensajes inesperados.", "Active las notificaciones de todos los pagos con tarjeta.",
           "Cuelgue si alguien le pide códigos por teléfono.", "Compruebe bien la dirección del remitente."),
    "en": ("Don't click links in unexpected messages.", "Turn on notifications for every card payment.",
           "Hang up if anyone asks you for codes on the phone.", "Check the sender's address carefully."),
}

ACCOUNT_UPDATE_SUBJECT = {
    "de": "Ihre Kontodaten wurden aktualisiert",
    "es": "Sus datos de cuenta se han actualizado",
    "en": "Your account details have been updated",
}
TEMPLATES["account_update"] = {
    "de": (
        (ACCOUNT_UPDATE_SUBJECT["de"],
         "{sal},\n\nwir bestätigen die folgende Änderung an Ihrem Konto {iban}:\n\n{Change}.\n\nDie Änderung wurde am "
         "{date} um {time} Uhr wirksam. Referenz: {ref}\n\nSie haben diese Änderung nicht veranlasst? Dann melden Sie "
         "sich bitte umgehend unter +49 69 1234 5000.\n\nMit freundlichen Grüßen\nIhre NordBank"),
        (ACCOUNT_UPDATE_SUBJECT["de"],
         "{sal},\n\nin Ihrem Konto {iban} wurde eine Änderung gespeichert: {change}.\n\nDatum: {date}, {time} Uhr\n"
         "Vorgangsnummer: {ref}\n\nDie aktuellen Daten sehen Sie jederzeit in der App unter 'Profil'. Wenn Sie die "
         "Änderung nicht selbst vorgenommen haben, kontaktieren Sie uns bitte sofort.\n\nFreundliche Grüße\nIhre NordBank"),
    ),
    "es": (
        (ACCOUNT_UPDATE_SUBJECT["es"],
         "{sal}:\n\nLe confirmamos el siguiente cambio en su cuenta {iban}:\n\n{Change}.\n\nEl cambio es efectivo desde "
         "el {date} a las {time} h. Referencia: {ref}\n\n¿No ha solicitado este cambio? Llámenos cuanto antes al "
         "+34 91 123 45 00.\n\nAtentamente,\nNordBank"),
        (ACCOUNT_UPDATE_SUBJECT["es"],
         "{sal}:\n\nHemos registrado un cambio en su cuenta {iban}: {change}.\n\nFecha: {date}, {time} h\nNúmero de "
         "operación: {ref}\n\nPuede ver sus datos actuales en la app, en 'Perfil'. Si no ha realizado usted este cambio, "
         "contacte con nosotros de inmediato.\n\nUn saludo,\nNordBank"),
    ),
    "en": (
        (ACCOUNT_UPDATE_SUBJECT["en"],
         "{sal},\n\nWe're confirming the following change to your account {iban}:\n\n{Change}.\n\nThe change took effect "
         "on {date} at {time}. Reference: {ref}\n\nDidn't ask for this change? Please call us straight away on "
         "+49 69 1234 5000.\n\nKind regards,\nNordBank"),
        (ACCOUNT_UPDATE_SUBJECT["en"],
         "{sal},\n\nA change was saved on your account {iban}: {change}.\n\nDate: {date}, {time}\nReference: {ref}\n\n"
         "You can see your current details in the app under 'Profile'. If you didn't make this change yourself, "
         "contact us immediately.\n\nBest regards,\nNordBank"),
    ),
}

# the misconfigured body of the SAME template (bank-changed-template): same subject, same template id
ACCOUNT_UPDATE_CHANGED = {
    "de": (
        "{sal},\n\nim Zuge der Aktualisierung Ihrer Kontodaten ({change}) benötigen wir eine zusätzliche Bestätigung "
        "Ihrer Identität.\n\nBitte antworten Sie auf diese E-Mail mit einem Foto Ihres Reisepasses und Ihrer IBAN, "
        "damit wir die Änderung abschließen können. Ohne Ihre Antwort bis zum {date2} wird Ihr Konto {iban} "
        "vorübergehend eingeschränkt.\n\nReferenz: {ref}\n\nMit freundlichen Grüßen\nIhre NordBank",
        "{sal},\n\nwir konnten die Änderung an Ihrem Konto {iban} nicht automatisch bestätigen. Senden Sie uns bitte "
        "als Antwort auf diese Nachricht ein gut lesbares Foto Ihres Reisepasses (Seite mit Lichtbild) sowie Ihre "
        "vollständige IBAN.\n\nVorgangsnummer: {ref}\n\nFreundliche Grüße\nIhre NordBank",
    ),
    "es": (
        "{sal}:\n\nCon motivo de la actualización de sus datos ({change}) necesitamos confirmar de nuevo su identidad."
        "\n\nPor favor, responda a este correo con una foto de su pasaporte y su IBAN completo para que podamos "
        "completar el cambio. Si no recibimos su respuesta antes del {date2}, su cuenta {iban} quedará limitada "
        "temporalmente.\n\nReferencia: {ref}\n\nAtentamente,\nNordBank",
        "{sal}:\n\nNo hemos podido confirmar automáticamente el cambio en su cuenta {iban}. Envíenos, respondiendo a "
        "este mensaje, una foto legible de su pasaporte (página con fotografía) y su número IBAN completo.\n\nNúmero "
        "de operación: {ref}\n\nUn saludo,\nNordBank",
    ),
    "en": (
        "{sal},\n\nFollowing the update of your account details ({change}) we need to confirm your identity once "
        "more.\n\nPlease reply to this email with a photo of your passport and your full IBAN so we can complete the "
        "change. If we don't hear from you by {date2}, your account {iban} will be temporarily restricted.\n\n"
        "Reference: {ref}\n\nKind regards,\nNordBank",
        "{sal},\n\nWe couldn't confirm the change to your account {iban} automatically. Please send us, as a reply "
        "to this message, a clear photo of your passport (the photo page) together with your full IBAN and bank "
        "details.\n\nReference: {ref}\n\nBest regards,\nNordBank",
    ),
}

TEMPLATES["incoming_transfer"] = {
    "de": (
        ("Zahlungseingang: {amount}",
         "{hi},\n\nauf Ihrem Konto {iban} ist eine Gutschrift eingegangen:\n\nBetrag: {amount}\nAuftraggeber: {payer}\n"
         "Verwendungszweck: {purpose}\nBuchungstag: {date}\n\nIhr neuer Kontostand: {balance}\n\nIhre NordBank"),
        ("Geld ist eingegangen",
         "{hi},\n\n{payer} hat Ihnen {amount} überwiesen ('{purpose}'). Das Geld ist seit {date}, {time} Uhr auf "
         "Ihrem Konto {iban} verfügbar.\n\nViele Grüße\nIhre NordBank"),
    ),
    "es": (
        ("Ingreso recibido: {amount}",
         "{hi}:\n\nHa recibido un ingreso en su cuenta {iban}:\n\nImporte: {amount}\nOrdenante: {payer}\nConcepto: "
         "{purpose}\nFecha: {date}\n\nSu nuevo saldo: {balance}\n\nNordBank"),
        ("Ha recibido dinero",
         "{hi}:\n\n{payer} le ha transferido {amount} ('{purpose}'). El dinero está disponible en su cuenta {iban} "
         "desde el {date} a las {time} h.\n\nUn saludo,\nNordBank"),
    ),
    "en": (
        ("Money received: {amount}",
         "{hi},\n\nA payment has arrived in your account {iban}:\n\nAmount: {amount}\nFrom: {payer}\nReference: "
         "{purpose}\nDate: {date}\n\nYour new balance: {balance}\n\nNordBank"),
        ("You've received money",
         "{hi},\n\n{payer} sent you {amount} ('{purpose}'). It has been available in your account {iban} since "
         "{date}, {time}.\n\nThanks,\nNordBank"),
    ),
}

TEMPLATES["low_balance"] = {
    "de": (
        ("Ihr Kontostand liegt unter {threshold}",
         "{hi},\n\nder Kontostand Ihres Kontos {iban} ist auf {balance} gesunken und liegt damit unter Ihrer "
         "Warnschwelle von {threshold}.\n\nDie Schwelle ändern Sie in der App unter 'Benachrichtigungen'.\n\n"
         "Ihre NordBank"),
        ("Kontostand-Warnung",
         "{hi},\n\nkurze Info: Auf Ihrem Konto {iban} sind am {date} um {time} Uhr nur noch {balance} verfügbar.\n\n"
         "Ihre NordBank"),
    ),
    "es": (
        ("Su saldo es inferior a {threshold}",
         "{hi}:\n\nEl saldo de su cuenta {iban} ha bajado a {balance}, por debajo de su aviso de {threshold}.\n\n"
         "Puede cambiar el aviso en la app, en 'Notificaciones'.\n\nNordBank"),
        ("Aviso de saldo",
         "{hi}:\n\nLe informamos de que el {date} a las {time} h su cuenta {iban} tiene un saldo disponible de "
         "{balance}.\n\nNordBank"),
    ),
    "en": (
        ("Your balance is below {threshold}",
         "{hi},\n\nThe balance of your account {iban} has dropped to {balance}, below your alert threshold of "
         "{threshold}.\n\nYou can change the threshold in the app under 'Notifications'.\n\nNordBank"),
        ("Balance alert",
         "{hi},\n\nJust so you know: on {date} at {time} your account {iban} had {balance} available.\n\nNordBank"),
    ),
}

TEMPLATES["statement_ready"] = {
    "de": (
        ("Ihr Kontoauszug für {month} {year} ist da",
         "{sal},\n\nIhr Kontoauszug Nr. {stno}/{year} für das Konto {iban} (Zeitraum {period}) steht für Sie bereit. "
         "Sie finden ihn im Anhang dieser E-Mail als PDF und jederzeit in der App unter 'Postfach'.\n\nDas PDF ist mit "
         "Ihrem Geburtsdatum im Format TTMMJJJJ geschützt.\n\nMit freundlichen Grüßen\nIhre NordBank"),
        ("Neuer Kontoauszug verfügbar – {month} {year}",
         "{sal},\n\nanbei erhalten Sie Ihren monatlichen Kontoauszug für {month} {year} (Konto {iban}).\n\n"
         "Kontostand zum Monatsende: {balance}\n\nBitte prüfen Sie die Buchungen und melden Sie uns Unstimmigkeiten "
         "innerhalb von sechs Wochen.\n\nFreundliche Grüße\nIhre NordBank"),
    ),
    "es": (
        ("Su extracto de {month} de {year} ya está disponible",
         "{sal}:\n\nSu extracto n.º {stno}/{year} de la cuenta {iban} (periodo {period}) ya está disponible. Lo "
         "encontrará adjunto a este correo en PDF y, en cualquier momento, en la app, en 'Buzón'.\n\nEl PDF está "
         "protegido con su fecha de nacimiento (DDMMAAAA).\n\nAtentamente,\nNordBank"),
        ("Nuevo extracto disponible: {month} de {year}",
         "{sal}:\n\nLe adjuntamos su extracto mensual de {month} de {year} (cuenta {iban}).\n\nSaldo a fin de mes: "
         "{balance}\n\nRevise los movimientos y comuníquenos cualquier discrepancia en un plazo de seis semanas.\n\n"
         "Un saludo,\nNordBank"),
    ),
    "en": (
        ("Your statement for {month} {year} is ready",
         "{sal},\n\nYour statement no. {stno}/{year} for account {iban} (period {period}) is ready. It's attached to "
         "this email as a PDF and is always available in the app under 'Inbox'.\n\nThe PDF is protected with your "
         "date of birth (DDMMYYYY).\n\nKind regards,\nNordBank"),
        ("New statement available – {month} {year}",
         "{sal},\n\nPlease find attached your monthly statement for {month} {year} (account {iban}).\n\nBalance at "
         "month end: {balance}\n\nPlease check the transactions and tell us about anything unexpected within six "
         "weeks.\n\nBest regards,\nNordBank"),
    ),
}
STATEMENT_FILE = {"de": "Kontoauszug_{ym}_{last4}.pdf", "es": "Extracto_{ym}_{last4}.pdf",
                  "en": "Statement_{ym}_{last4}.pdf"}

TEMPLATES["statement_on_request"] = {
    "de": (
        ("Ihr angeforderter Kontoauszug",
         "{sal},\n\nwie gewünscht senden wir Ihnen den Kontoauszug für das Konto {iban} für den Zeitraum {period} als "
         "PDF im Anhang.\n\nMit freundlichen Grüßen\nIhre NordBank"),
    ),
    "es": (
        ("El extracto que ha solicitado",
         "{sal}:\n\nTal como nos ha pedido, le adjuntamos en PDF el extracto de la cuenta {iban} del periodo {period}."
         "\n\nAtentamente,\nNordBank"),
    ),
    "en": (
        ("The statement you requested",
         "{sal},\n\nAs requested, please find attached the statement for account {iban} covering {period}.\n\n"
         "Kind regards,\nNordBank"),
    ),
}

TEMPLATES["identity_review"] = {
    "de": (
        ("Regelmäßige Überprüfung Ihrer Identität",
         "{sal},\n\nals Bank sind wir gesetzlich verpflichtet (Geldwäschegesetz), die Daten unserer Kundinnen und "
         "Kunden regelmäßig zu überprüfen. Ihr hinterlegtes Ausweisdokument ist abgelaufen oder läuft bald ab.\n\n"
         "Laden Sie bitte bis zum {date2} eine Kopie Ihres Ausweises im Bereich 'Dokumente' der App hoch. Bitte senden "
         "Sie uns keine Dokumente per E-Mail.\n\nSo geht's: App öffnen > Profil > Dokumente > 'Ausweis hochladen'. "
         "Alternativ im sicheren Portal unter {portal}\n\nVorgangsnummer: {ref}\n\nMit freundlichen Grüßen\n"
         "Ihr KYC-Team der NordBank"),
        ("Bitte aktualisieren Sie Ihre Ausweisdaten",
         "{sal},\n\nim Rahmen unserer regelmäßigen Identitätsprüfung bitten wir Sie, Ihre Ausweisdaten zu "
         "aktualisieren. Bitte laden Sie ein Foto Ihres Personalausweises oder Reisepasses ausschließlich über das "
         "sichere Kundenportal hoch: {portal}\n\nAus Sicherheitsgründen nehmen wir Ausweiskopien nicht per E-Mail "
         "entgegen – bitte antworten Sie nicht auf diese Nachricht.\n\nFrist: {date2}\nReferenz: {ref}\n\n"
         "Freundliche Grüße\nNordBank Kundenidentifizierung"),
        ("Erinnerung: Ausweisdokument aktualisieren",
         "{sal},\n\nwir haben Sie kürzlich gebeten, Ihr Ausweisdokument zu aktualisieren. Das Hochladen dauert nur "
         "zwei Minuten: Öffnen Sie die NordBank-App, tippen Sie auf 'Dokumente' und fotografieren Sie Ihren Ausweis "
         "direkt in der App. Schicken Sie Ihren Ausweis bitte nicht per E-Mail.\n\nBitte erledigen Sie dies bis zum "
         "{date2}, damit Ihr Konto uneingeschränkt nutzbar bleibt.\n\nReferenz: {ref}\n\nIhre NordBank"),
    ),
    "es": (
        ("Revisión periódica de su identidad",
         "{sal}:\n\nComo entidad bancaria, la ley de prevención del blanqueo de capitales nos obliga a revisar "
         "periódicamente los datos de nuestros clientes. El documento de identidad que nos consta ha caducado o está "
         "a punto de caducar.\n\nSuba una copia de su DNI o pasaporte en la sección 'Documentos' de la app antes del "
         "{date2}. Por favor, no nos envíe documentos por correo electrónico.\n\nCómo hacerlo: abra la app > Perfil > "
         "Documentos > 'Subir documento'. También puede hacerlo en el portal seguro: {portal}\n\nReferencia: {ref}\n\n"
         "Atentamente,\nEquipo KYC de NordBank"),
        ("Actualice los datos de su documento de identidad",
         "{sal}:\n\nDentro de nuestra revisión periódica de identidad le pedimos que actualice su documento. Suba una "
         "foto de su DNI, NIE o pasaporte únicamente a través del portal seguro de clientes: {portal}\n\nPor su "
         "seguridad, no aceptamos copias de documentos por correo electrónico; no responda a este mensaje.\n\nPlazo: "
         "{date2}\nReferencia: {ref}\n\nUn saludo,\nNordBank Identificación de clientes"),
    ),
    "en": (
        ("Periodic review of your identity",
         "{sal},\n\nAs a bank we are required by anti-money-laundering law to review our customers' details "
         "regularly. The ID document we hold for you has expired or will expire soon.\n\nPlease upload a copy of your "
         "ID or passport in the 'Documents' section of the app by {date2}. Please do not send us documents by email."
         "\n\nHow: open the app > Profile > Documents > 'Upload ID'. You can also use the secure portal: {portal}\n\n"
         "Reference: {ref}\n\nKind regards,\nNordBank KYC team"),
        ("Please update your ID details",
         "{sal},\n\nAs part of our regular identity review, we ask you to update your ID details. Please upload a "
         "photo of your passport or national ID card only through the secure customer portal: {portal}\n\nFor your "
         "security we don't accept copies of ID documents by email, so please don't reply to this message.\n\n"
         "Deadline: {date2}\nReference: {ref}\n\nBest regards,\nNordBank Customer Identification"),
        ("Reminder: update your ID document",
         "{sal},\n\nWe recently asked you to update your ID document. It only takes two minutes: open the NordBank "
         "app, tap 'Documents' and take a photo of your ID right in the app. Please don't send your ID by email.\n\n"
         "Please do this by {date2} so your account stays fully usable.\n\nReference: {ref}\n\nNordBank"),
    ),
}

TEMPLATES["documents_received"] = {
    "de": (
        ("Wir haben Ihr Dokument erhalten",
         "{sal},\n\nvielen Dank – das in der App hochgeladene Dokument ({doc}) ist bei uns eingegangen. Wir prüfen es "
         "in der Regel innerhalb von zwei Werktagen und informieren Sie über das Ergebnis.\n\nReferenz: {ref}\n\n"
         "Ihr KYC-Team der NordBank"),
    ),
    "es": (
        ("Hemos recibido su documento",
         "{sal}:\n\nGracias: hemos recibido el documento que subió en la app ({doc}). Normalmente lo revisamos en dos "
         "días hábiles y le informaremos del resultado.\n\nReferencia: {ref}\n\nEquipo KYC de NordBank"),
    ),
    "en": (
        ("We've received your document",
         "{sal},\n\nThank you – we have received the document you uploaded in the app ({doc}). We usually review it "
         "within two working days and will let you know the outcome.\n\nReference: {ref}\n\nNordBank KYC team"),
    ),
}
DOC_KINDS = {"de": ("Personalausweis", "Reisepass", "Aufenthaltstitel"), "es": ("DNI", "pasaporte", "NIE"),
             "en": ("passport", "national ID card", "residence permit")}

TEMPLATES["newsletter"] = {
    "de": (
        ("{title} | NordBank Newsletter {issue}",
         "{hi},\n\nhier ist Ihr NordBank-Newsletter für die Woche ab {date}.\n\n* {title}: {teaser} Mehr lesen: {url}\n"
         "* Tagesgeld: jetzt {rate} % p. a. für Neukundinnen und Neukunden.\n* App-Tipp: Mit 'Spaces' sparen Sie "
         "automatisch für Ihre Ziele.\n\nSie erhalten diesen Newsletter, weil Sie ihn mit {email} abonniert haben.\n"
         "Abmelden: {unsub}\n\nNordBank AG, Mainzer Landstraße 50, 60325 Frankfurt am Main"),
        ("{title}",
         "{hi},\n\n{teaser}\n\nAlle Details: {url}\n\nAußerdem diese Woche: {rate} % Zinsen aufs Tagesgeld und neue "
         "Kartendesigns in der App.\n\nNewsletter abbestellen: {unsub}\nNordBank AG, Frankfurt am Main"),
    ),
    "es": (
        ("{title} | Boletín NordBank {issue}",
         "{hi}:\n\nAquí tiene su boletín de NordBank de la semana del {date}.\n\n* {title}: {teaser} Leer más: {url}\n"
         "* Cuenta de ahorro: ahora al {rate} % TAE para nuevos clientes.\n* Consejo: con los 'Espacios' de la app "
         "ahorrará automáticamente para sus metas.\n\nRecibe este boletín porque se suscribió con {email}.\n"
         "Darse de baja: {unsub}\n\nNordBank AG, sucursal en España, Paseo de la Castellana 89, 28046 Madrid"),
        ("{title}",
         "{hi}:\n\n{teaser}\n\nTodos los detalles: {url}\n\nAdemás esta semana: {rate} % en la cuenta de ahorro y "
         "nuevos diseños de tarjeta en la app.\n\nDarse de baja: {unsub}\nNordBank AG, Madrid"),
    ),
    "en": (
        ("{title} | NordBank newsletter {issue}",
         "{hi},\n\nHere's your NordBank newsletter for the week of {date}.\n\n* {title}: {teaser} Read more: {url}\n"
         "* Savings: now {rate}% AER for new customers.\n* App tip: 'Spaces' let you save for your goals "
         "automatically.\n\nYou're receiving this newsletter because you subscribed with {email}.\nUnsubscribe: "
         "{unsub}\n\nNordBank AG, Mainzer Landstraße 50, 60325 Frankfurt am Main, Germany"),
        ("{title}",
         "{hi},\n\n{teaser}\n\nAll the details: {url}\n\nAlso this week: {rate}% on savings and new card designs in the "
         "app.\n\nUnsubscribe: {unsub}\nNordBank AG, Frankfurt am Main"),
    ),
}
NEWSLETTER_ISSUES = {  # (title, teaser), one per week of the year (cycled)
    "de": (("Frühjahrsputz für Ihre Finanzen", "Fünf Abos, die Sie wahrscheinlich nicht mehr brauchen."),
           ("Neu: Gemeinschaftskonto in der App", "Teilen Sie Ausgaben mit Partnerin, Partner oder WG."),
           ("Urlaub ohne Gebühren", "So zahlen Sie im Ausland mit Ihrer Karte ohne Fremdwährungsentgelt."),
           ("Steuererklärung leicht gemacht", "Alle Belege für 2024 finden Sie jetzt gesammelt in der App."),
           ("Sicher bezahlen mit dem Smartphone", "Apple Pay und Google Pay in drei Schritten einrichten.")),
    "es": (("Limpieza de primavera para sus finanzas", "Cinco suscripciones que probablemente ya no necesita."),
           ("Nuevo: cuenta compartida en la app", "Comparta gastos con su pareja o con sus compañeros de piso."),
           ("Vacaciones sin comisiones", "Pague en el extranjero con su tarjeta sin comisión por divisa."),
           ("La declaración de la renta, más fácil", "Todos sus justificantes de 2024 ya están en la app."),
           ("Pague con el móvil de forma segura", "Configure Apple Pay y Google Pay en tres pasos.")),
    "en": (("Spring-clean your finances", "Five subscriptions you probably don't need any more."),
           ("New: joint accounts in the app", "Share costs with your partner or flatmates."),
           ("Holidays without fees", "Pay abroad with your card with no foreign-exchange fee."),
           ("Tax season made easy", "All your 2024 documents are now together in the app."),
           ("Pay safely with your phone", "Set up Apple Pay and Google Pay in three steps.")),
}

TEMPLATES["ticket_ack"] = {
    "de": (
        ("Ihre Nachricht ist bei uns eingegangen [Ticket {ticket}]",
         "Guten Tag,\n\nvielen Dank für Ihre Nachricht. Wir haben Ihr Anliegen unter der Ticketnummer {ticket} erfasst "
         "und melden uns in der Regel innerhalb von {hours} Stunden.\n\nBitte senden Sie uns keine Passwörter, PINs "
         "oder TANs per E-Mail.\n\nDies ist eine automatisch erzeugte Nachricht.\n\nIhr NordBank Kundenservice"),
        ("Eingangsbestätigung [Ticket {ticket}]",
         "Guten Tag,\n\nIhre Anfrage vom {date} ist eingegangen (Ticket {ticket}). Eine Mitarbeiterin oder ein "
         "Mitarbeiter meldet sich bald bei Ihnen. Den Stand Ihres Anliegens sehen Sie auch in der App unter "
         "'Nachrichten'.\n\nAutomatische Nachricht – Antworten an diese Adresse werden dem Ticket hinzugefügt.\n\n"
         "Ihr NordBank Kundenservice"),
    ),
    "es": (
        ("Hemos recibido su mensaje [Ticket {ticket}]",
         "Buenos días:\n\nGracias por su mensaje. Hemos registrado su consulta con el número {ticket} y le "
         "responderemos normalmente en un plazo de {hours} horas.\n\nPor favor, no nos envíe contraseñas, PIN ni "
         "claves por correo electrónico.\n\nEste es un mensaje automático.\n\nAtención al cliente NordBank"),
        ("Acuse de recibo [Ticket {ticket}]",
         "Buenos días:\n\nHemos recibido su consulta del {date} (ticket {ticket}). Un gestor le contestará en breve. "
         "También puede seguir su consulta en la app, en 'Mensajes'.\n\nMensaje automático: las respuestas a esta "
         "dirección se añaden al ticket.\n\nAtención al cliente NordBank"),
    ),
    "en": (
        ("We've received your message [Ticket {ticket}]",
         "Hello,\n\nThank you for your message. We've logged your request as ticket {ticket} and usually reply within "
         "{hours} hours.\n\nPlease never send us passwords, PINs or codes by email.\n\nThis is an automatic message.\n\n"
         "NordBank Customer Service"),
        ("Acknowledgement [Ticket {ticket}]",
         "Hello,\n\nYour request of {date} has arrived (ticket {ticket}). One of our team will get back to you soon. "
         "You can also follow it in the app under 'Messages'.\n\nAutomatic message – replies to this address are "
         "added to the ticket.\n\nNordBank Customer Service"),
    ),
}

TEMPLATES["ticket_closed"] = {
    "de": (
        ("Ihr Anliegen {ticket} wurde abgeschlossen",
         "Guten Tag,\n\n{agent} hat Ihr Anliegen {ticket} am {date} abgeschlossen. Ist noch etwas offen? Antworten "
         "Sie einfach innerhalb von 14 Tagen auf diese E-Mail.\n\nWie zufrieden waren Sie? Eine Frage, eine Minute: "
         "{url}\n\nIhr NordBank Kundenservice"),
    ),
    "es": (
        ("Su consulta {ticket} se ha cerrado",
         "Buenos días:\n\n{agent} cerró su consulta {ticket} el {date}. ¿Queda algo pendiente? Responda a este correo "
         "en un plazo de 14 días.\n\n¿Qué tal le atendimos? Una pregunta, un minuto: {url}\n\nAtención al cliente "
         "NordBank"),
    ),
    "en": (
        ("Your request {ticket} has been closed",
         "Hello,\n\n{agent} closed your request {ticket} on {date}. Anything still open? Just reply to this email "
         "within 14 days.\n\nHow did we do? One question, one minute: {url}\n\nNordBank Customer Service"),
    ),
}

TEMPLATES["terms_update"] = {
    "de": (
        ("Änderung unseres Preis- und Leistungsverzeichnisses zum {date2}",
         "{sal},\n\nzum {date2} passen wir unser Preis- und Leistungsverzeichnis sowie die Bedingungen für "
         "Debitkarten an. Die wichtigsten Änderungen: {change}\n\nAlle Details und die Gegenüberstellung alt/neu "
         "finden Sie unter {url}\n\nSie müssen nichts weiter tun. Wenn Sie nicht einverstanden sind, können Sie vor "
         "dem Inkrafttreten kostenfrei kündigen.\n\nMit freundlichen Grüßen\nIhre NordBank"),
        ("Wichtige Information zu Ihrem Kontovertrag",
         "{sal},\n\nwir informieren Sie über Änderungen unserer Allgemeinen Geschäftsbedingungen, die am {date2} "
         "wirksam werden: {change}\n\nDie neuen Bedingungen stehen in der App unter 'Postfach' und unter {url} bereit."
         "\n\nFreundliche Grüße\nIhre NordBank"),
    ),
    "es": (
        ("Cambios en nuestras tarifas a partir del {date2}",
         "{sal}:\n\nA partir del {date2} actualizamos nuestro folleto de tarifas y las condiciones de las tarjetas de "
         "débito. Principales cambios: {change}\n\nConsulte todos los detalles en {url}\n\nNo tiene que hacer nada. Si "
         "no está de acuerdo, puede cancelar su contrato sin coste antes de la entrada en vigor.\n\nAtentamente,\n"
         "NordBank"),
        ("Información importante sobre su contrato de cuenta",
         "{sal}:\n\nLe informamos de los cambios en nuestras condiciones generales, que entrarán en vigor el {date2}: "
         "{change}\n\nLas nuevas condiciones están en la app, en 'Buzón', y en {url}\n\nUn saludo,\nNordBank"),
    ),
    "en": (
        ("Changes to our fees and services from {date2}",
         "{sal},\n\nFrom {date2} we are updating our list of fees and the terms for debit cards. The main changes: "
         "{change}\n\nSee all the details and a side-by-side comparison at {url}\n\nYou don't need to do anything. If "
         "you don't agree, you can close your account free of charge before the changes take effect.\n\n"
         "Kind regards,\nNordBank"),
        ("Important information about your account agreement",
         "{sal},\n\nWe're letting you know about changes to our general terms and conditions, effective {date2}: "
         "{change}\n\nThe new terms are in the app under 'Inbox' and at {url}\n\nBest regards,\nNordBank"),
    ),
}
TERMS_CHANGES = {
    "de": ("Bargeldabhebungen im Euroraum bleiben kostenlos, ab der fünften Abhebung im Monat fallen 1,50 € an.",
           "Die Ersatzkarte kostet künftig 7,50 €.", "Echtzeitüberweisungen sind ab sofort kostenlos.",
           "Der Sollzins für den Dispositionskredit sinkt auf 10,9 % p. a."),
    "es": ("Las retiradas en la zona euro siguen siendo gratuitas; desde la quinta del mes se cobrarán 1,50 €.",
           "La tarjeta de sustitución costará 7,50 €.", "Las transferencias inmediatas pasan a ser gratuitas.",
           "El tipo deudor del descubierto baja al 10,9 % anual."),
    "en": ("Cash withdrawals in the euro area stay free; from the fifth withdrawal in a month a fee of €1.50 applies.",
           "A replacement card will cost €7.50.", "Instant transfers are now free of charge.",
           "The overdraft interest rate drops to 10.9% a year."),
}

# --------------------------------------------------------------------------- #
# incident texts
# --------------------------------------------------------------------------- #

# bank-id-blast: a NEW template of noreply@, each message to a group of customers
TEMPLATES["id_verification"] = {
    "de": (
        ("Dringend: Bestätigung Ihrer Identität erforderlich",
         "Guten Tag,\n\nbei der Überprüfung Ihres Kontos ist ein Fehler aufgetreten. Bitte antworten Sie auf diese "
         "E-Mail mit einem Foto Ihres Personalausweises (Vorder- und Rückseite), damit wir Ihr Konto weiterhin "
         "freigeben können.\n\nOhne Ihre Antwort bis zum {date2} müssen wir Ihr Konto vorübergehend sperren.\n\n"
         "Referenz: {ref}\n\nIhre NordBank"),
        ("Aktion erforderlich: Identitätsnachweis",
         "Sehr geehrte Kundinnen und Kunden,\n\nzur Aktualisierung unserer Unterlagen benötigen wir von Ihnen einen "
         "aktuellen Identitätsnachweis. Schicken Sie uns bitte einfach als Antwort auf diese Nachricht ein Foto Ihres "
         "Personalausweises oder Reisepasses.\n\nVielen Dank für Ihre Mithilfe.\nReferenz: {ref}\n\nIhre NordBank"),
    ),
    "es": (
        ("Urgente: es necesario confirmar su identidad",
         "Buenos días:\n\nSe ha producido un error al revisar su cuenta. Por favor, responda a este correo con una "
         "foto de su DNI (anverso y reverso) para que podamos mantener su cuenta activa.\n\nSi no recibimos su "
         "respuesta antes del {date2}, tendremos que bloquear su cuenta temporalmente.\n\nReferencia: {ref}\n\n"
         "NordBank"),
        ("Acción necesaria: acreditación de identidad",
         "Estimados clientes:\n\nPara actualizar nuestros registros necesitamos un documento de identidad vigente. "
         "Envíenos una foto de su DNI o pasaporte respondiendo a este mensaje.\n\nGracias por su colaboración.\n"
         "Referencia: {ref}\n\nNordBank"),
    ),
    "en": (
        ("Urgent: please confirm your identity",
         "Hello,\n\nAn error occurred while reviewing your account. Please reply to this email with a photo of your ID "
         "card (front and back) so that we can keep your account open.\n\nIf we don't receive your reply by {date2}, "
         "we will have to block your account temporarily.\n\nReference: {ref}\n\nNordBank"),
        ("Action required: proof of identity",
         "Dear customers,\n\nTo update our records we need a current proof of identity from you. Simply send us a "
         "photo of your ID card or passport as a reply to this message.\n\nThank you for your help.\nReference: {ref}"
         "\n\nNordBank"),
    ),
}

# bank-compromised-agent: credential phishing from a support agent's mailbox (no template id)
PHISHING = {
    "de": (
        ("Wichtig: Bestätigen Sie Ihr Online-Banking-Passwort",
         "{hi},\n\nwegen einer Umstellung unseres Sicherheitssystems müssen alle Kundinnen und Kunden ihr "
         "Online-Banking-Passwort bis zum {date2} bestätigen. Bitte melden Sie sich dazu hier an und bestätigen Sie "
         "Ihr Passwort: {url}\n\nNicht bestätigte Zugänge werden nach 24 Stunden gesperrt.\n\nMit freundlichen Grüßen\n"
         "{agent}\nNordBank Kundenservice"),
        ("Ihr Zugang wird gesperrt – bitte Passwort bestätigen",
         "{hi},\n\nwir haben ungewöhnliche Aktivitäten in Ihrem Konto festgestellt. Bestätigen Sie bitte umgehend Ihr "
         "Online-Banking-Passwort und Ihre PIN unter {url}, sonst wird Ihr Zugang heute gesperrt.\n\n{agent}\n"
         "NordBank Sicherheitsteam"),
    ),
    "es": (
        ("Importante: confirme su contraseña de banca online",
         "{hi}:\n\nDebido a una actualización de nuestro sistema de seguridad, todos los clientes deben confirmar su "
         "contraseña de banca online antes del {date2}. Inicie sesión aquí y confirme su contraseña: {url}\n\nLos "
         "accesos no confirmados se bloquearán en 24 horas.\n\nAtentamente,\n{agent}\nAtención al cliente NordBank"),
        ("Su acceso será bloqueado: confirme su contraseña",
         "{hi}:\n\nHemos detectado actividad inusual en su cuenta. Confirme cuanto antes su contraseña de banca online "
         "y su PIN en {url}; de lo contrario su acceso se bloqueará hoy.\n\n{agent}\nEquipo de seguridad NordBank"),
    ),
    "en": (
        ("Important: confirm your online banking password",
         "{hi},\n\nBecause of an upgrade to our security system, all customers must confirm their online banking "
         "password by {date2}. Please sign in here and confirm your password: {url}\n\nAccess that is not confirmed "
         "will be blocked after 24 hours.\n\nKind regards,\n{agent}\nNordBank Customer Service"),
        ("Your access will be blocked – please confirm your password",
         "{hi},\n\nWe have detected unusual activity on your account. Please confirm your online banking password "
         "and PIN at {url} straight away, otherwise your access will be blocked today.\n\n{agent}\n"
         "NordBank Security Team"),
    ),
}
PHISHING_DOMAINS = ("nordbank-sicherheit.com", "nordbank-verify.net", "secure-nordbank.eu.com", "nordbank-login.info")

# bank-loop: the external autoresponder service@ keeps answering
LOOP_PARTNERS = (
    ("buchhaltung@schneider-elektrotechnik.de", "de"), ("noreply@hausverwaltung-krueger.de", "de"),
    ("info@gestoria-alvarez.es", "es"), ("helpdesk@brightlane-property.co.uk", "en"),
)

# --------------------------------------------------------------------------- #
# support agents (human free text)
# --------------------------------------------------------------------------- #

REPLY_PREFIX = {"de": ("AW: ", "Re: "), "es": ("RE: ", "Re: "), "en": ("Re: ", "RE: ")}
SUPPORT_TOPICS: dict[str, tuple[tuple[float, bool, str, tuple[str, ...], tuple[str, ...]], ...]] = {}
# per language: (weight, id-related (secure-channel pointer likely), subject, customer quotes, reply sentences)

# legitimate pointers to the secure channel (labelled "secure-channel")
SECURE_CHANNEL = {
    "de": (
        "Bitte laden Sie eine Kopie Ihres Ausweises im Bereich 'Dokumente' der App hoch, anstatt ihn per E-Mail zu "
        "senden.",
        "Den Nachweis (z. B. Ihre Heiratsurkunde und Ihren neuen Ausweis) laden Sie bitte im sicheren Upload-Bereich "
        "der App hoch – bitte nicht per E-Mail schicken.",
        "Aus Datenschutzgründen können wir Ausweiskopien nicht per E-Mail annehmen. Nutzen Sie bitte das sichere "
        "Postfach im Online-Banking unter 'Dokumente hochladen'.",
        "Sie müssen uns Ihren Ausweis nicht per E-Mail schicken: Ein Foto im Bereich 'Dokumente' der App genügt.",
    ),
    "es": (
        "Por favor, suba una copia de su DNI en la sección 'Documentos' de la app en lugar de enviarla por correo "
        "electrónico.",
        "Suba el justificante (por ejemplo, su nuevo DNI) en el área segura de la app; no nos lo envíe por email.",
        "Por protección de datos no podemos aceptar copias de documentos de identidad por correo. Utilice el buzón "
        "seguro de la banca online, en 'Subir documentos'.",
        "No es necesario que nos envíe su pasaporte por email: basta con una foto en la sección 'Documentos' de la app.",
    ),
    "en": (
        "Please upload a copy of your ID in the 'Documents' section of the app rather than sending it by email.",
        "Please upload the proof (for example your new passport) in the secure upload area of the app – please don't "
        "email it to us.",
        "For data protection reasons we can't accept copies of ID documents by email. Please use the secure inbox in "
        "online banking under 'Upload documents'.",
        "There's no need to email us your ID: a photo in the 'Documents' section of the app is enough.",
    ),
}
PIN_WARNINGS = {
    "de": ("Bitte senden Sie uns niemals Ihre PIN oder TANs per E-Mail.",
           "Zu Ihrer Sicherheit: Ihre PIN und Ihr Passwort gehören nicht in eine E-Mail, auch nicht an uns.",
           "Wir fragen Sie niemals nach Ihrer PIN – bitte geben Sie sie auch am Telefon nicht weiter."),
    "es": ("Por favor, no nos envíe nunca su PIN ni sus claves por correo electrónico.",
           "Por su seguridad: su PIN y su contraseña no deben ir nunca en un email, tampoco a nosotros.",
           "Nunca le pediremos su PIN; no lo facilite tampoco por teléfono."),
    "en": ("Please never send your PIN or one-time codes by email.",
           "For your security: your PIN and password never belong in an email, not even to us.",
           "We will never ask for your PIN – please don't give it out on the phone either."),
}
WROTE = {"de": "Am {date} schrieb {name} <{email}>:", "es": "El {date}, {name} <{email}> escribió:",
         "en": "On {date}, {name} <{email}> wrote:"}
CLOSINGS = {"de": ("Mit freundlichen Grüßen", "Freundliche Grüße", "Viele Grüße", "Beste Grüße"),
            "es": ("Un saludo,", "Atentamente,", "Saludos cordiales,", "Un cordial saludo,"),
            "en": ("Kind regards,", "Best regards,", "Many thanks,", "All the best,")}
SIGNATURE = {"de": "{name}\nKundenservice | NordBank AG\nTel. +49 69 1234 5000 | www.nordbank.eu",
             "es": "{name}\nAtención al cliente | NordBank AG, sucursal en España\nTel. +34 91 123 45 00 | www.nordbank.eu",
             "en": "{name}\nCustomer Service | NordBank AG\nTel. +49 69 1234 5000 | www.nordbank.eu"}
INFORMAL_HI = {"de": "Hallo {first}", "es": "Hola, {first}", "en": "Hi {first}"}
FORMAL_SAL = {
    "de": {"f": "Sehr geehrte Frau {last}", "m": "Sehr geehrter Herr {last}", "x": "Guten Tag {name}"},
    "es": {"f": "Estimada Sra. {last}", "m": "Estimado Sr. {last}", "x": "Estimado/a cliente"},
    "en": {"f": "Dear Ms {last}", "m": "Dear Mr {last}", "x": "Dear {name}"},
}

# internal mail between colleagues (German and English)
INTERNAL_SUBJECTS = ("Schichtplan KW {week}", "Übergabe Frühschicht", "Re: Kundin mit Rückbuchung {ticket}",
                     "Teammeeting {day}", "Queue heute", "Urlaubsvertretung", "Frage zu Ticket {ticket}",
                     "Shift swap {day}?", "Escalation {ticket}", "Team lunch {day}", "New macro for card disputes",
                     "Re: KYC backlog", "Schulung Betrugsprävention am {day}")
INTERNAL_SENTENCES = {
    "de": ("Kannst du das Ticket {ticket} übernehmen? Die Kundin hat schon zweimal angerufen.",
           "Ich bin morgen erst ab 10 Uhr da, die Frühschicht übernimmt Jonas.",
           "Die Queue ist heute voll, bitte zuerst die Kartensperren bearbeiten.",
           "Das Teammeeting am {day} verschiebt sich auf 14 Uhr.",
           "Kurze Frage: Dürfen wir bei Namensänderungen die Urkunde per Upload annehmen?",
           "Danke für die schnelle Hilfe gestern!",
           "Die neue Textvorlage für Rückbuchungen liegt im Teamordner.",
           "Erinnerung: Ausweiskopien nur über den Upload in der App, nie per E-Mail annehmen.",
           "Die Schulung zur Betrugsprävention ist am {day}, bitte im Kalender eintragen."),
    "en": ("Can you take over ticket {ticket}? The customer has called twice already.",
           "I'm in from 10 tomorrow, Lucía covers the early shift.",
           "The queue is long today, please prioritise card blocks.",
           "The team meeting on {day} moves to 2 pm.",
           "Reminder: ID documents only via the app upload, never by email.",
           "Thanks for jumping in on the escalation yesterday.",
           "The fraud prevention training is on {day}; please sign up in the calendar.",
           "Could someone cover the Spanish queue after lunch?"),
}

# --------------------------------------------------------------------------- #
# support topics: what customers write about and what the agents answer
# --------------------------------------------------------------------------- #

SUPPORT_OPENERS = {
    "de": ("vielen Dank für Ihre Nachricht.", "vielen Dank für Ihre Nachricht und entschuldigen Sie bitte die späte "
           "Rückmeldung.", "danke, dass Sie sich bei uns gemeldet haben.", "gern helfe ich Ihnen weiter."),
    "es": ("gracias por su mensaje.", "gracias por su mensaje y disculpe la demora en contestarle.",
           "gracias por ponerse en contacto con nosotros.", "con mucho gusto le ayudo."),
    "en": ("thank you for your message.", "thank you for your message, and sorry for the slow reply.",
           "thanks for getting in touch.", "happy to help with this."),
}
SUPPORT_CLOSERS = {
    "de": ("Haben Sie noch Fragen? Dann antworten Sie einfach auf diese E-Mail.", "Ich hoffe, ich konnte Ihnen "
           "weiterhelfen.", "Bei Rückfragen erreichen Sie uns auch telefonisch unter +49 69 1234 5000."),
    "es": ("¿Tiene alguna otra pregunta? Responda simplemente a este correo.", "Espero haberle ayudado.",
           "Si tiene dudas, también puede llamarnos al +34 91 123 45 00."),
    "en": ("Any other questions? Just reply to this email.", "I hope this helps.",
           "If anything is unclear, you can also call us on +49 69 1234 5000."),
}

SUPPORT_TOPICS["de"] = (
    (10, False, "Überweisung nicht angekommen",
     ("Hallo, ich habe am {date} {amount} überwiesen, aber das Geld ist beim Empfänger nicht angekommen.",),
     ("ich habe mir die Überweisung vom {date} angesehen: Sie wurde ordnungsgemäß von Ihrem Konto {iban} ausgeführt.",
      "bei Überweisungen an andere Banken kann die Gutschrift bis zu einem Bankarbeitstag dauern.",
      "sollte das Geld bis zum {date2} nicht angekommen sein, stelle ich gern einen Nachforschungsauftrag.")),
    (10, False, "Doppelte Abbuchung bei {merchant}",
     ("Mir wurde bei {merchant} zweimal {amount} abgebucht. Bitte um Prüfung.",),
     ("die zweite Belastung über {amount} bei {merchant} ist nur eine Vormerkung des Händlers.",
      "Vormerkungen entfallen in der Regel nach fünf bis sieben Tagen automatisch.",
      "ich habe für Sie eine Reklamation mit der Nummer {ticket} angelegt, falls der Betrag doch gebucht wird.")),
    (9, False, "Karte gesperrt",
     ("Meine Karte funktioniert seit gestern nicht mehr. Was ist da los?",),
     ("Ihre Karte wurde nach dreimaliger falscher PIN-Eingabe automatisch gesperrt.",
      "ich habe die Sperre soeben aufgehoben; Sie können die Karte wieder nutzen.",
      "Ihre PIN können Sie jederzeit in der App unter 'Karten' > 'PIN anzeigen' einsehen.")),
    (8, False, "Login funktioniert nicht",
     ("Ich kann mich in der App nicht mehr anmelden, es kommt immer eine Fehlermeldung.",),
     ("bitte installieren Sie die neueste Version der App und melden Sie sich anschließend neu an.",
      "falls das nicht hilft, setzen Sie Ihr Passwort über 'Passwort vergessen' zurück.",
      "ich habe Ihr Gerät in unserem System zurückgesetzt, damit Sie es neu registrieren können.")),
    (7, False, "Zahlung bei {merchant} nicht erkannt",
     ("Auf meinem Konto ist eine Zahlung über {amount} bei {merchant}, die ich nicht kenne.",),
     ("bitte sperren Sie die Karte vorsorglich in der App, falls noch nicht geschehen.",
      "ich habe den Umsatz über {amount} als strittig markiert und die Rückforderung beim Händler eingeleitet.",
      "eine neue Karte ist bereits bestellt und sollte bis zum {date2} bei Ihnen sein.")),
    (6, False, "Kontoauszug fehlt",
     ("Mir fehlt der Kontoauszug für März, können Sie ihn nochmal schicken?",),
     ("der Kontoauszug für März steht in Ihrem Postfach in der App.", "ich habe ihn zusätzlich neu erzeugt; Sie "
      "finden ihn im Anhang.")),
    (5, False, "Dispo erhöhen?",
     ("Ist es möglich, meinen Dispo zu erhöhen?",),
     ("eine Erhöhung des Dispositionsrahmens können Sie direkt in der App unter 'Konto' > 'Dispo' beantragen.",
      "die Entscheidung erhalten Sie in der Regel sofort.")),
    (4, False, "Kündigung Tagesgeldkonto",
     ("Ich möchte mein Tagesgeldkonto kündigen.",),
     ("die Kündigung des Tagesgeldkontos ist vorgemerkt.", "das Guthaben wird am {date2} auf Ihr Girokonto {iban} "
      "übertragen.")),
    (4, True, "Namensänderung nach Heirat",
     ("Ich habe geheiratet und heiße jetzt anders. Was brauchen Sie von mir?",),
     ("herzlichen Glückwunsch zur Hochzeit!", "für die Namensänderung benötigen wir Ihren neuen Ausweis und die "
      "Heiratsurkunde.")),
    (4, True, "Neuer Personalausweis",
     ("Mein Personalausweis ist abgelaufen, ich habe einen neuen. Soll ich ihn Ihnen schicken?",),
     ("danke für den Hinweis, dass Sie einen neuen Ausweis haben.", "wir aktualisieren Ihre Daten, sobald wir den "
      "neuen Ausweis erhalten haben.")),
    (3, True, "Frage zur Ausweisprüfung",
     ("Ich habe eine E-Mail zur Überprüfung meiner Identität bekommen. Ist die echt?",),
     ("ja, die Nachricht zur regelmäßigen Identitätsprüfung stammt von uns.", "die Frist können wir bei Bedarf um "
      "zwei Wochen verlängern.")),
)
SUPPORT_TOPICS["es"] = (
    (10, False, "Transferencia no recibida",
     ("Hola, hice una transferencia de {amount} el {date} y no ha llegado.",),
     ("he revisado la transferencia del {date}: se ejecutó correctamente desde su cuenta {iban}.",
      "las transferencias a otros bancos pueden tardar hasta un día hábil.",
      "si el dinero no ha llegado antes del {date2}, abriré una solicitud de rastreo.")),
    (10, False, "Cargo duplicado en {merchant}",
     ("Me han cobrado dos veces {amount} en {merchant}. Por favor, revísenlo.",),
     ("el segundo cargo de {amount} en {merchant} es solo una retención del comercio.",
      "las retenciones suelen desaparecer en cinco a siete días.",
      "he abierto una reclamación con el número {ticket} por si el importe llegara a cargarse.")),
    (9, False, "Tarjeta bloqueada",
     ("Mi tarjeta no funciona desde ayer. ¿Qué ocurre?",),
     ("su tarjeta se bloqueó automáticamente tras tres intentos con un PIN incorrecto.",
      "ya la he desbloqueado; puede volver a usarla.",
      "puede consultar su PIN en cualquier momento en la app, en 'Tarjetas' > 'Ver PIN'.")),
    (8, False, "No puedo acceder a la app",
     ("No puedo entrar en la app, siempre me sale un error.",),
     ("instale la última versión de la app y vuelva a iniciar sesión, por favor.",
      "si sigue sin funcionar, restablezca su contraseña con 'He olvidado mi contraseña'.",
      "he restablecido su dispositivo en nuestro sistema para que pueda registrarlo de nuevo.")),
    (7, False, "Pago en {merchant} que no reconozco",
     ("Tengo un cargo de {amount} en {merchant} que no reconozco.",),
     ("bloquee la tarjeta desde la app como medida de precaución, si aún no lo ha hecho.",
      "he marcado el cargo de {amount} como disputado y he iniciado la reclamación al comercio.",
      "ya hemos pedido una tarjeta nueva, que recibirá antes del {date2}.")),
    (6, False, "Extracto de marzo",
     ("No encuentro el extracto de marzo, ¿me lo pueden enviar?",),
     ("el extracto de marzo está en el buzón de la app.", "lo he vuelto a generar y se lo adjunto.")),
    (5, False, "Cancelar cuenta de ahorro",
     ("Quiero cancelar mi cuenta de ahorro.",),
     ("la cancelación de la cuenta de ahorro está registrada.", "el saldo pasará el {date2} a su cuenta corriente "
      "{iban}.")),
    (4, True, "He renovado el DNI",
     ("He renovado el DNI. ¿Tengo que enviárselo?",),
     ("gracias por avisarnos de que tiene un DNI nuevo.", "actualizaremos sus datos en cuanto recibamos el "
      "documento.")),
    (4, True, "Cambio de dirección",
     ("Me he mudado y quiero comunicarles mi nueva dirección.",),
     ("puede cambiar su dirección directamente en la app, en 'Perfil' > 'Datos personales'.",
      "para cambios de país de residencia necesitamos además un justificante.")),
    (3, True, "Pregunta sobre la verificación de identidad",
     ("He recibido un correo sobre la revisión de mi identidad. ¿Es real?",),
     ("sí, el mensaje de la revisión periódica de identidad es nuestro.", "si lo necesita, podemos ampliar el "
      "plazo dos semanas.")),
)
SUPPORT_TOPICS["en"] = (
    (10, False, "Transfer not arrived",
     ("Hi, I made a transfer of {amount} on {date} and it hasn't arrived.",),
     ("I've checked the transfer of {date}: it was sent correctly from your account {iban}.",
      "transfers to other banks can take up to one working day to arrive.",
      "if the money hasn't arrived by {date2}, I'll open a trace request for you.")),
    (10, False, "Charged twice at {merchant}",
     ("I was charged {amount} twice at {merchant}. Please look into it.",),
     ("the second charge of {amount} at {merchant} is only a pending authorisation by the merchant.",
      "pending authorisations usually drop off after five to seven days.",
      "I've opened a complaint with reference {ticket} in case the amount is actually taken.")),
    (9, False, "Card blocked",
     ("My card stopped working yesterday. What's going on?",),
     ("your card was blocked automatically after three wrong PIN attempts.",
      "I've lifted the block, so you can use the card again.",
      "you can view your PIN at any time in the app under 'Cards' > 'Show PIN'.")),
    (8, False, "Can't log in to the app",
     ("I can't log in to the app any more, it keeps showing an error.",),
     ("please install the latest version of the app and sign in again.",
      "if that doesn't help, reset your password with 'Forgot password'.",
      "I've reset your device in our system so you can register it again.")),
    (7, False, "Payment at {merchant} I don't recognise",
     ("There's a payment of {amount} at {merchant} that I don't recognise.",),
     ("please freeze the card in the app as a precaution if you haven't already.",
      "I've marked the {amount} payment as disputed and started a chargeback with the merchant.",
      "a new card is already on order and should reach you by {date2}.")),
    (6, False, "Missing statement",
     ("I can't find my March statement, could you send it again?",),
     ("your March statement is in the app inbox.", "I've regenerated it as well and attached it here.")),
    (5, False, "Close my savings account",
     ("I'd like to close my savings account.",),
     ("the closure of your savings account is booked.", "the balance will move to your current account {iban} on "
      "{date2}.")),
    (4, True, "New passport",
     ("I renewed my passport. Should I send you a copy?",),
     ("thanks for letting us know about your new passport.", "we'll update your details as soon as we have the new "
      "document.")),
    (4, True, "Change of name",
     ("I got married and my surname has changed. What do you need from me?",),
     ("congratulations on your wedding!", "for the change of name we need your new ID and the marriage "
      "certificate.")),
    (3, True, "Question about the ID check",
     ("I got an email about reviewing my identity. Is it genuine?",),
     ("yes, the message about the regular identity review is from us.", "we can extend the deadline by two weeks "
      "if you need more time.")),
)
