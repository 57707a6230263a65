"""Labelled scenario simulator: realistic outbound company mail plus incidents.

Generates contract events (see ``shared/CONTRACT.md`` section 1) for the company
``example.com``: automated senders (orders, shipping, password resets, invoices,
a weekly newsletter, customer-care automation, webinar reminders) and 15-30
employees (support agents, sales people, internal mail), with daily and weekly
seasonality and Poisson noise. On the last day (the "incident day") a scenario
adds an incident to detect or a hard negative that must not be alerted.

Public API::

    SCENARIOS                                   # name -> one-line description
    generate(scenario, seed, days=35, scale=1)  # -> (events sorted by ts, labels)
    simulate(scenario, seed, out_dir, ...)      # writes events.jsonl, labels.json, truth.csv
    main(argv)                                  # ``mailflow simulate`` command

Everything is deterministic for a given seed: each component draws from its own
``random.Random(f"{seed}/{component}")``, so the normal traffic of a seed does
not depend on the scenario's incident.

``scale`` multiplies the normal traffic and the volume-based negatives (launch
ramp, newsletter, invoice run). Incidents (blast, compromised account, mail
merge) and the all-hands mail keep their absolute size: they are anomalies of
a fixed size, and a demo at small scale must still contain all of them.

Pure Python (stdlib + orjson): never imports faust, kafka or prometheus.
"""

from __future__ import annotations

import argparse
import csv
import functools
import gc
import math
import os
import random
import sys
import unicodedata
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import orjson

__all__ = ["SCENARIOS", "INTERNAL_DOMAIN", "generate", "simulate", "main"]

INTERNAL_DOMAIN = "example.com"

SCENARIOS: dict[str, str] = {
    "id-request-blast": "incident: care@ sends a new template asking groups of 3-8 unrelated customers for a photo ID, then relays their image replies to the group",
    "compromised-account": "incident: an employee account sends ~400 phishing mails in 1 hour to external addresses it never mailed",
    "mail-merge-cc": "incident: events@ sends ~40 reminders, each with 30-60 unrelated customers in cc, within 30 minutes",
    "launch-day": "demo: the launch ramp of order confirmations and, a few hours in, the id-request blast",
    "launch-ramp": "negative: order confirmations ramp to ~9x normal over 3 hours and stay there (shipping rises too)",
    "newsletter": "negative: the weekly Tuesday newsletter burst (also present in the warm-up weeks)",
    "invoice-run": "negative: the month-end invoice run (the previous month-end run is in the warm-up)",
    "all-hands": "negative: the CEO mails 400-800 internal addresses, plus a few replies",
    "baseline": "negative: normal traffic only, nothing special",
}

# Incident day per scenario (UTC). Weekdays; with 35 warm-up days every one of
# them covers the July 2017 month-end invoice run.
_DEFAULT_DAY = date(2017, 8, 24)  # Thursday
_INCIDENT_DAY = {"newsletter": date(2017, 8, 29), "invoice-run": date(2017, 8, 31)}

_SLICE = 600  # seconds; Poisson slices for the traffic model

# --------------------------------------------------------------------------- #
# vocabulary
# --------------------------------------------------------------------------- #

_EN_FIRST = (
    "James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara Richard "
    "Susan Joseph Jessica Thomas Sarah Daniel Karen Emma Olivia Liam Noah Sophia Lucas Mia Ethan Ava "
    "Oliver Amelia Jack Chloe Harry Grace Leo Hannah Max Laura Anna Paul Julia Mark Nina Peter Sofia "
    "Tom Eva Ben Clara Adam Lena Sam Zoe Alex Ruby Kevin Ella Priya Raj Mei Hiroshi Fatima Omar Lars Ingrid"
).split()
_FR_FIRST = (
    "Jean Marie Pierre Sophie Nicolas Camille Julien Claire Antoine Manon Thomas Chloé Mathieu Léa Hugo "
    "Juliette Louis Inès Arthur Lucie Gabriel Élodie Maxime Pauline Théo Margaux Romain Céline Baptiste Aurélie"
).split()
_EN_LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Wilson Taylor Anderson Moore Jackson White "
    "Harris Clark Lewis Walker Hall Young King Wright Scott Green Baker Adams Nelson Hill Campbell Mitchell "
    "Roberts Carter Phillips Evans Turner Parker Collins Edwards Stewart Morris Murphy Cook Rogers Morgan "
    "Cooper Peterson Bailey Reed Kelly Howard Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker "
    "Nakamura Singh Patel Kowalski Novak Rossi Bianchi Jensen Larsen Silva Costa"
).split()
_FR_LAST = (
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre Michel "
    "David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre Mercier Dupont Lambert Bonnet François "
    "Martinez Rousseau Blanc Guerin Muller Henry Roussel Nicolas Perrin Morin Mathieu Clement"
).split()

# (domain, weight, French share of its users)
_FREEMAIL = (
    ("gmail.com", 30, 0.12),
    ("yahoo.com", 8, 0.1),
    ("outlook.com", 10, 0.1),
    ("hotmail.com", 10, 0.15),
    ("icloud.com", 7, 0.1),
    ("orange.fr", 8, 0.9),
    ("free.fr", 6, 0.9),
    ("laposte.net", 4, 0.9),
    ("gmx.de", 7, 0.02),
    ("proton.me", 3, 0.1),
)
FREEMAIL_DOMAINS = tuple(d for d, _, _ in _FREEMAIL)

_CORP_PREFIX = (
    "acme blue north south apex summit nova orbit silver green red iron cedar maple oak pine river lake "
    "harbor bright clear swift prime core vertex quantum pixel atlas zenith polar terra alpine coastal urban "
    "metro stellar lumen astra delta sigma omega vector fusion nimbus granite copper falcon"
).split()
_CORP_SUFFIX = (
    "widgets logistics systems solutions labs partners consulting industries foods retail media health "
    "energy analytics software trading works supplies group digital networks design capital motors textiles"
).split()
_CORP_TLD = (".com",) * 6 + (".fr", ".fr", ".de", ".io", ".co.uk", ".eu", ".net")

_PRODUCTS = (
    ("Example Phone 128 GB", 699.0), ("Example Phone case", 29.9), ("USB-C charger 30 W", 34.9),
    ("Wireless earbuds", 129.0), ("Smart watch S2", 249.0), ("Screen protector (2 pack)", 14.9),
    ("Bluetooth speaker", 89.0), ("Laptop sleeve 13\"", 39.0), ("Tablet 10\" 64 GB", 329.0),
    ("HDMI cable 2 m", 12.5), ("Power bank 10000 mAh", 45.0), ("Fitness band", 59.9),
    ("Noise-cancelling headphones", 279.0), ("Car mount", 24.9), ("Extended warranty 2 years", 79.0),
)
_EN_STREETS = ("Main Street", "Oak Avenue", "Church Road", "High Street", "Park Lane", "Maple Drive",
               "Station Road", "Victoria Road", "Elm Street", "King's Road", "Mill Lane", "Queen Street")
_EN_CITIES = (("SW1A 1AA", "London"), ("M1 1AE", "Manchester"), ("10115", "Berlin"), ("1011", "Amsterdam"),
              ("D02 X285", "Dublin"), ("10001", "New York, NY"), ("94105", "San Francisco, CA"),
              ("80331", "Munich"), ("1000", "Brussels"), ("2100", "Copenhagen"), ("EH1 1YZ", "Edinburgh"))
_FR_STREETS = ("rue des Lilas", "avenue Victor Hugo", "boulevard Voltaire", "rue de la République",
               "rue du Moulin", "place de la Mairie", "rue Pasteur", "allée des Tilleuls", "rue Jean Jaurès",
               "chemin des Vignes", "rue Nationale", "avenue de la Gare")
_FR_CITIES = (("75011", "Paris"), ("69003", "Lyon"), ("13001", "Marseille"), ("31000", "Toulouse"),
              ("33000", "Bordeaux"), ("59000", "Lille"), ("44000", "Nantes"), ("67000", "Strasbourg"),
              ("35000", "Rennes"), ("06000", "Nice"), ("34000", "Montpellier"))
_FR_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
              "octobre", "novembre", "décembre")
_FR_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_WEBINARS = ("Getting started with Example Cloud", "Q3 product update", "Securing your team's devices",
             "Example for small businesses", "Advanced reporting masterclass", "Partner programme briefing")
_NEWS_TITLES = ("Summer deals are here", "5 tips to make your battery last", "Meet the new Example Watch",
                "Back to school picks", "Our most popular accessories", "What's new this week",
                "Behind the scenes at Example", "Last chance: summer sale ends Sunday")
_FR_NEWS_TITLES = ("Les offres de l'été sont là", "5 astuces pour votre batterie", "Découvrez la nouvelle Example Watch",
                   "Spécial rentrée", "Nos accessoires les plus populaires", "Les nouveautés de la semaine",
                   "Dans les coulisses d'Example", "Dernière chance : les soldes se terminent dimanche")

# --------------------------------------------------------------------------- #
# templates: ONE wording per (template, language); fill-ins vary
# --------------------------------------------------------------------------- #

_T: dict[tuple[str, str], tuple[str, str]] = {
    ("order_confirmation", "en"): (
        "Your order #{order} is confirmed",
        "Hi {first},\n\nThank you for your order! We have received order #{order} placed on {date} and it is "
        "now being prepared.\n\nOrder summary:\n{items}\nTotal: {total}\n\nDelivery address:\n{name}\n{address}\n\n"
        "Estimated delivery: {date2}\n\nYou can follow your order at any time here:\n{url}\n\nIf you have questions, "
        "simply reply to this email or visit our help centre at https://help.example.com.\n\nThanks for shopping "
        "with us,\nThe Example Store team",
    ),
    ("order_confirmation", "fr"): (
        "Confirmation de votre commande n° {order}",
        "Bonjour {first},\n\nMerci pour votre commande ! Nous avons bien reçu votre commande n° {order} passée le "
        "{date} et elle est en cours de préparation.\n\nRécapitulatif :\n{items}\nTotal : {total}\n\nAdresse de "
        "livraison :\n{name}\n{address}\n\nLivraison estimée : {date2}\n\nSuivez votre commande à tout moment ici :\n"
        "{url}\n\nPour toute question, répondez simplement à cet e-mail ou consultez notre centre d'aide.\n\n"
        "Merci de votre confiance,\nL'équipe Example Store",
    ),
    ("shipping_notification", "en"): (
        "Your order #{order} has shipped",
        "Hi {first},\n\nGood news: your order #{order} left our warehouse on {date} and is on its way with "
        "{carrier}.\n\nTracking number: {tracking}\nTrack your parcel: {url}\n\nShipping to:\n{name}\n{address}\n\n"
        "Expected delivery: {date2}. Someone may need to sign for the parcel.\n\nThe Example Store team",
    ),
    ("shipping_notification", "fr"): (
        "Votre commande n° {order} a été expédiée",
        "Bonjour {first},\n\nBonne nouvelle : votre commande n° {order} a quitté notre entrepôt le {date} et est "
        "en route avec {carrier}.\n\nNuméro de suivi : {tracking}\nSuivre votre colis : {url}\n\nAdresse de "
        "livraison :\n{name}\n{address}\n\nLivraison prévue : {date2}. Une signature pourra vous être demandée.\n\n"
        "L'équipe Example Store",
    ),
    ("password_reset", "en"): (
        "Reset your Example password",
        "Hi {first},\n\nWe received a request to reset the password of your Example account ({email}) on "
        "{date}.\n\nClick the link to reset your password:\n{url}\n\nThis link expires in {hours} hours. If you "
        "did not ask for a new password, you can safely ignore this email: your password will not change.\n\n"
        "For your security, Example will never ask you to send your password by email.\n\nThe Example "
        "accounts team",
    ),
    ("password_reset", "fr"): (
        "Réinitialisez votre mot de passe Example",
        "Bonjour {first},\n\nNous avons reçu une demande de réinitialisation du mot de passe de votre compte "
        "Example ({email}) le {date}.\n\nCliquez sur le lien pour réinitialiser votre mot de passe :\n{url}\n\n"
        "Ce lien expire dans {hours} heures. Si vous n'êtes pas à l'origine de cette demande, ignorez cet "
        "e-mail : votre mot de passe ne sera pas modifié.\n\nPour votre sécurité, Example ne vous demandera "
        "jamais votre mot de passe par e-mail.\n\nL'équipe Comptes Example",
    ),
    ("invoice", "en"): (
        "Invoice {invoice} from Example - due {date2}",
        "Dear {name},\n\nPlease find attached invoice {invoice} dated {date} for {total}.\n\nCustomer number: "
        "{customer_no}\nPayment due: {date2}\n\nPay online with your card: {url}\n\nOr by bank transfer to "
        "Example SAS, quoting {invoice} as the reference.\n\nBilling address on file:\n{address}\n\nIf you have "
        "a question about this invoice, reply to this email.\n\nKind regards,\nExample Billing",
    ),
    ("invoice", "fr"): (
        "Facture {invoice} d'Example - échéance {date2}",
        "Bonjour {name},\n\nVeuillez trouver ci-joint la facture {invoice} du {date} d'un montant de {total}.\n\n"
        "Numéro client : {customer_no}\nÉchéance : {date2}\n\nPayer en ligne par carte : {url}\n\nOu par "
        "virement à Example SAS en indiquant la référence {invoice}.\n\nAdresse de facturation :\n{address}\n\n"
        "Pour toute question sur cette facture, répondez à cet e-mail.\n\nCordialement,\nService facturation Example",
    ),
    ("newsletter", "en"): (
        "{title} | Example Weekly #{issue}",
        "Hi {first},\n\nHere is your Example Weekly for {date}.\n\n* {title}: our team picked the best of the "
        "week for you. Read more: {url}\n* Members save {percent}% on accessories until {date2}.\n* Community: "
        "how our customers use Example at work.\n\nYou receive this email because you subscribed with {email}.\n"
        "Unsubscribe: {url2}\n\nExample, 12 rue de la Paix, 75002 Paris",
    ),
    ("newsletter", "fr"): (
        "{title} | La lettre Example n° {issue}",
        "Bonjour {first},\n\nVoici votre lettre Example du {date}.\n\n* {title} : notre équipe a choisi le "
        "meilleur de la semaine pour vous. Lire la suite : {url}\n* Les membres économisent {percent} % sur les "
        "accessoires jusqu'au {date2}.\n* Communauté : comment nos clients utilisent Example au travail.\n\n"
        "Vous recevez cet e-mail car vous êtes inscrit avec {email}.\nSe désinscrire : {url2}\n\n"
        "Example, 12 rue de la Paix, 75002 Paris",
    ),
    ("ticket_received", "en"): (
        "We received your request [#{ticket}]",
        "Hi {first},\n\nThanks for contacting Example customer care. Your request #{ticket} was received on "
        "{date} and one of our agents will answer within {hours} hours.\n\nYou can add information to your "
        "request by replying to this email, or follow it here: {url}\n\nExample customer care",
    ),
    ("ticket_received", "fr"): (
        "Nous avons bien reçu votre demande [#{ticket}]",
        "Bonjour {first},\n\nMerci d'avoir contacté le service client Example. Votre demande n° {ticket} a été "
        "reçue le {date} et un conseiller vous répondra sous {hours} heures.\n\nVous pouvez compléter votre "
        "demande en répondant à cet e-mail ou la suivre ici : {url}\n\nLe service client Example",
    ),
    ("ticket_resolved", "en"): (
        "Your request [#{ticket}] has been resolved",
        "Hi {first},\n\nYour request #{ticket} was marked as resolved by {agent} on {date}.\n\nIf the problem "
        "is not solved, simply reply to this email within 7 days and the request will be reopened "
        "automatically.\n\nView the conversation: {url}\n\nExample customer care",
    ),
    ("ticket_resolved", "fr"): (
        "Votre demande [#{ticket}] est résolue",
        "Bonjour {first},\n\nVotre demande n° {ticket} a été marquée comme résolue par {agent} le {date}.\n\n"
        "Si le problème persiste, répondez simplement à cet e-mail sous 7 jours et la demande sera rouverte "
        "automatiquement.\n\nVoir la conversation : {url}\n\nLe service client Example",
    ),
    ("satisfaction_survey", "en"): (
        "How did we do? Request #{ticket}",
        "Hi {first},\n\nYou recently contacted us about request #{ticket}. Could you spare one minute to tell "
        "us how {agent} did?\n\nRate your experience: {url}\n\nYour answers are anonymous and help us improve.\n\n"
        "Thank you,\nExample customer care",
    ),
    ("satisfaction_survey", "fr"): (
        "Votre avis compte : demande n° {ticket}",
        "Bonjour {first},\n\nVous nous avez récemment contactés au sujet de la demande n° {ticket}. Pouvez-vous "
        "nous accorder une minute pour évaluer l'aide de {agent} ?\n\nDonner mon avis : {url}\n\nVos réponses "
        "sont anonymes et nous aident à progresser.\n\nMerci,\nLe service client Example",
    ),
    ("event_reminder", "en"): (
        "Reminder: {webinar} starts {date} at {time}",
        "Hello {first},\n\nThis is a reminder that the webinar \"{webinar}\" you registered for starts on "
        "{date} at {time} (UTC).\n\nJoin from your browser: {url}\nMeeting code: {code}\n\nAdd it to your "
        "calendar: {url2}\n\nThe session lasts about 45 minutes and includes a live Q&A. A recording will be "
        "sent to all registrants.\n\nSee you soon,\nThe Example Events team",
    ),
    ("event_reminder", "fr"): (
        "Rappel : {webinar} commence le {date} à {time}",
        "Bonjour {first},\n\nPetit rappel : le webinaire « {webinar} » auquel vous êtes inscrit commence le "
        "{date} à {time} (UTC).\n\nRejoindre depuis votre navigateur : {url}\nCode de réunion : {code}\n\n"
        "Ajouter à votre agenda : {url2}\n\nLa session dure environ 45 minutes et se termine par des questions-"
        "réponses. Un enregistrement sera envoyé à tous les inscrits.\n\nÀ bientôt,\nL'équipe Événements Example",
    ),
    ("id_verification", "en"): (
        "Action required: verify your identity for pre-order #{order}",
        "Hello,\n\nThank you for pre-ordering the Example Phone! Before we can ship your device we need to "
        "verify your identity.\n\nPlease reply to this email with a clear photo of your government-issued ID "
        "(passport, national identity card or driver's licence) showing your full name and date of birth. The "
        "name must match the billing name of pre-order #{order}.\n\nIf we do not receive your ID by {date2}, "
        "your pre-order may be cancelled and your payment of {total} refunded.\n\nThank you for your "
        "understanding,\nExample customer care",
    ),
    ("id_verification", "fr"): (
        "Action requise : vérifiez votre identité pour la précommande n° {order}",
        "Bonjour,\n\nMerci d'avoir précommandé l'Example Phone ! Avant d'expédier votre appareil, nous devons "
        "vérifier votre identité.\n\nMerci de répondre à cet e-mail avec une photo lisible de votre pièce "
        "d'identité officielle (passeport, carte nationale d'identité ou permis de conduire) indiquant vos nom, "
        "prénom et date de naissance. Le nom doit correspondre à celui de la précommande n° {order}.\n\n"
        "Sans réception de votre pièce d'identité avant le {date2}, votre précommande pourra être annulée et "
        "votre paiement de {total} remboursé.\n\nMerci de votre compréhension,\nLe service client Example",
    ),
    ("phishing_account_verification", "en"): (
        "Urgent: confirm your account details",
        "Dear customer,\n\nDue to a security update of our payment system, all accounts must be verified "
        "before {date2}. Please confirm your bank account details (IBAN and BIC) and your online banking "
        "password by replying to this email or on our secure page:\n{url}\n\nAccounts that are not confirmed "
        "within 24 hours will be suspended and pending payments of {total} will be blocked.\n\nReference: "
        "{code}\n\nBest regards,\n{sender_name}\nExample",
    ),
}

_SUPPORT_SUBJECTS_EN = ("Order {order} not received", "Wrong item in order {order}", "Refund for order {order}",
                        "Question about my invoice", "Cannot log in to my account", "Damaged parcel",
                        "Change delivery address for {order}", "Warranty claim", "Where is my refund?",
                        "Phone won't charge", "Cancel order {order}", "Missing accessory in box")
_SUPPORT_SUBJECTS_FR = ("Commande {order} non reçue", "Erreur dans ma commande {order}", "Remboursement commande {order}",
                        "Question sur ma facture", "Impossible de me connecter", "Colis abîmé",
                        "Changement d'adresse de livraison", "Demande de garantie", "Annuler la commande {order}")
_SUPPORT_EN = (
    "I am sorry to hear about the trouble with order {order}.",
    "I checked with our warehouse and your parcel was handed to the carrier on {date}.",
    "I have issued a refund of {total}; it should appear on your statement within 5 to 7 business days.",
    "Could you tell me which colour you ordered so I can send the right replacement?",
    "The carrier confirms a delivery attempt was made, but nobody was available to sign.",
    "I have updated the delivery address on your order as requested.",
    "Your warranty covers this issue, so we will replace the device free of charge.",
    "Please try a different cable and charger first; many charging problems come from a worn cable.",
    "I have reset the login on your account; you should receive a separate email shortly.",
    "A prepaid return label is attached to this email.",
    "Our records show the order was cancelled before shipping, so no charge was made.",
    "I escalated your case to our logistics team and will get back to you by {date2}.",
    "Thanks for your patience while we looked into this.",
    "The replacement will ship today and you will receive a tracking number by email.",
    "I can see the payment was authorised twice, but only one charge will be captured.",
    "Unfortunately the promotion ended on {date}, but I have applied a 10% goodwill discount.",
    "If the screen still flickers after the update, please reply and we will arrange a repair.",
    "The missing accessory has been sent separately.",
    "For hygiene reasons opened earbuds cannot be returned, but they are covered by the warranty.",
    "I have added a note to your customer file so any colleague can follow up.",
)
_SUPPORT_FR = (
    "Je suis désolé pour ce désagrément concernant la commande {order}.",
    "J'ai vérifié auprès de notre entrepôt : votre colis a été remis au transporteur le {date}.",
    "J'ai effectué un remboursement de {total}, visible sous 5 à 7 jours ouvrés.",
    "Pourriez-vous me préciser la couleur commandée afin que je vous envoie le bon article ?",
    "J'ai mis à jour l'adresse de livraison comme demandé.",
    "Votre garantie couvre ce problème, nous remplacerons l'appareil gratuitement.",
    "Vous trouverez ci-joint une étiquette de retour prépayée.",
    "J'ai transmis votre dossier à notre service logistique et reviens vers vous avant le {date2}.",
    "Merci pour votre patience.",
    "Le remplaçant part aujourd'hui ; vous recevrez un numéro de suivi par e-mail.",
    "L'accessoire manquant vous a été envoyé séparément.",
    "J'ai ajouté une note à votre dossier client.",
)
_COMPLAINT_EN = ("Hello, I ordered on {date} and still have nothing. Can you tell me where my parcel is?",
                 "The box arrived damaged and the screen has a crack. What should I do?",
                 "I was charged twice for the same order, please refund one of the payments.",
                 "I cannot log in anymore, the reset link does not work on my phone.",
                 "Please cancel my order, I found a better offer elsewhere.",
                 "The charger that came with the phone does not work. Is it covered by the warranty?")
_COMPLAINT_FR = ("Bonjour, j'ai commandé le {date} et je n'ai toujours rien reçu. Où en est mon colis ?",
                 "Le colis est arrivé abîmé et l'écran est fissuré. Que dois-je faire ?",
                 "J'ai été débité deux fois pour la même commande, merci de me rembourser.",
                 "Je souhaite annuler ma commande, merci.")
_SALES_SUBJECTS = ("Proposal for {company}", "Follow-up on our call", "Q{q} pricing for {company}",
                   "Renewal of your Example contract", "Demo next week?", "Updated quote {quote}",
                   "Example x {company}: next steps", "Volume discount for {company}", "Contract draft",
                   "Meeting notes {date}", "Trial extension for your team", "Intro: Example devices for {company}")
_SALES = (
    "Thanks again for your time on the call {day}.",
    "As discussed, please find our proposal for {n} devices attached.",
    "The quote includes the volume discount we talked about and is valid until {date2}.",
    "Would {day} at {time} work for a short demo with your IT team?",
    "I have copied my colleague who handles onboarding for accounts like {company}.",
    "Our standard terms are payment at 30 days with a two-year warranty.",
    "Let me know if your procurement team needs anything else from us.",
    "We can start the pilot with {n} users the week of {date2}.",
    "I spoke to our product team about the MDM integration you asked about; it is on the roadmap for Q{q}.",
    "Happy to adjust the bundle if the accessories are not needed.",
    "The renewal keeps your current pricing of {total} per device per year.",
    "Could you share the number of sites so we can plan the delivery?",
    "Attached are the meeting notes; please correct anything I missed.",
    "We have stock for an immediate delivery if you confirm by {day}.",
    "I will be at the trade show in {city} next month if you would like to meet.",
    "Let me know who else at {company} should be involved.",
)
_INTERNAL_SUBJECTS = ("Team meeting {day}", "Re: Q{q} planning", "Holiday schedule", "Lunch {day}?",
                      "Draft for review", "Numbers for the weekly report", "Office move update",
                      "Onboarding of our new colleague", "Quick question", "Slides for {day}",
                      "Expense report", "Re: customer escalation {ticket}", "IT maintenance {date}")
_INTERNAL = (
    "Can we move the meeting on {day} to {time}?",
    "I have updated the shared document with the latest figures.",
    "Please review the draft before {day}; comments in the margin are fine.",
    "The weekly report shows {n} open tickets, down from last week.",
    "Who is covering the support queue during the holidays?",
    "I booked the large meeting room for {day} at {time}.",
    "Thanks for the quick turnaround on this.",
    "The customer from ticket {ticket} called again; can you take a look?",
    "IT will patch the laptops on {date}, please save your work before leaving.",
    "Lunch at the Italian place {day}?",
    "I attached my expense report for the trip to {city}.",
    "Our new colleague starts on {date}; please say hello.",
    "The slides are in the usual folder.",
    "Let's discuss the Q{q} targets at the next team meeting.",
    "FYI, the office will be closed on {date}.",
    "Can you send me the numbers by end of day?",
)
_RELAY_EN = ("Here is my passport as requested.", "Hi, photo of my driving licence attached. Please ship my phone asap!",
             "Attached is my ID card. Is this really needed?", "Here you go, my passport photo page.",
             "Sending my ID as asked. Thanks", "ID attached. My order number is in the subject.",
             "Here is the picture of my licence, front and back.", "Please find my passport attached.")
_RELAY_FR = ("Voici mon passeport comme demandé.", "Bonjour, ci-joint ma carte d'identité.",
             "Voici la photo de mon permis de conduire. Merci d'expédier vite !",
             "Ci-joint ma pièce d'identité recto verso.")
_ALLHANDS_REPLIES = ("Thanks {first}, great news for the whole team!", "Congratulations everyone, well deserved.",
                     "Thanks for sharing. Will the slides be available after the meeting?",
                     "Great quarter! Looking forward to the offsite.", "Thank you, very motivating.",
                     "Can remote staff join the meeting by video?", "Well done all!")


@functools.lru_cache(maxsize=4096)
def _ascii(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii").lower().replace("'", "")


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #


def _pick(rng: random.Random, seq: Any) -> Any:
    return seq[int(rng.random() * len(seq))]


def _rint(rng: random.Random, a: int, b: int) -> int:
    return a + int(rng.random() * (b - a + 1))


def _rrange(rng: random.Random, n: int) -> int:
    return int(rng.random() * n)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam < 30:
        limit = math.exp(-lam)
        k, p = 0, rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k
    return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))


def _profile(weights: tuple[float, ...]) -> tuple[float, ...]:
    s = sum(weights)
    return tuple(w / s for w in weights)


# Hour-of-day weights (UTC; the company and most customers are in Europe).
_PROFILE_CONSUMER = _profile((1.5, 1, .7, .5, .5, .8, 1.5, 2.5, 3.5, 4.5, 5, 5.2, 5.5, 5.5, 5.3, 5.2, 5.3, 5.8, 6.5, 7, 7, 6, 4.5, 2.8))
_PROFILE_BUSINESS = _profile((.2, .1, .1, .1, .2, .5, 1.5, 4, 7, 8, 8, 7, 5, 7, 8, 7.5, 6, 3.5, 1.5, .8, .5, .4, .3, .2))
_PROFILE_WAREHOUSE = _profile((.3, .2, .2, .2, .5, 2, 5, 7, 8, 8, 7, 6, 6, 7, 8, 8, 7, 5, 3, 2, 1, .6, .4, .3))


_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")
_EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _fmt_date(rng: random.Random, d: datetime | date, lang: str) -> str:
    """A date in one of several formats (the fill-ins vary, the template does not)."""
    if lang == "fr":
        k = _rrange(rng, 3)
        if k == 0:
            return f"{d.day:02d}/{d.month:02d}/{d.year}"
        if k == 1:
            return f"{d.day} {_FR_MONTHS[d.month - 1]} {d.year}"
        return f"{_FR_DAYS[d.weekday()]} {d.day} {_FR_MONTHS[d.month - 1]}"
    k = _rrange(rng, 4)
    if k == 0:
        return f"{_EN_MONTHS[d.month - 1]} {d.day}, {d.year}"
    if k == 1:
        return f"{d.year}-{d.month:02d}-{d.day:02d}"
    if k == 2:
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    return f"{_EN_DAYS[d.weekday()]}, {d.day} {_EN_MONTHS[d.month - 1][:3]} {d.year}"


def _money(rng: random.Random, amount: float, lang: str) -> str:
    if lang == "fr":
        return f"{amount:,.2f} €".replace(",", " ").replace(".", ",")
    cur = "€" if rng.random() < 0.7 else "$"
    return f"{cur}{amount:,.2f}"


def _token(rng: random.Random, n: int = 24) -> str:
    return f"{rng.getrandbits(n * 4):0{n}x}"


_ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def _tracking(rng: random.Random) -> tuple[str, str]:
    k = _rrange(rng, 3)
    if k == 0:
        code = "1Z" + "".join(_pick(rng, _ALNUM) for _ in range(6)) + f"{_rrange(rng, 100):02d}{_rrange(rng, 10**8):08d}"
        return "UPS", code
    if k == 1:
        return "DHL", f"{_rrange(rng, 10**10):010d}"
    return "Colissimo", f"6A{_rrange(rng, 10**11):011d}"


class _Person:
    __slots__ = ("email", "first", "last", "lang", "aid")

    def __init__(self, email: str, first: str, last: str, lang: str, aid: int) -> None:
        self.email, self.first, self.last, self.lang, self.aid = email, first, last, lang, aid

    @property
    def address(self) -> str:
        """Postal address, derived from the person's own number (no RNG draw)."""
        a = self.aid
        if self.lang == "fr":
            z, c = _FR_CITIES[a % len(_FR_CITIES)]
            return f"{a % 179 + 1} {_FR_STREETS[(a >> 8) % len(_FR_STREETS)]}\n{z} {c}\nFrance"
        z, c = _EN_CITIES[a % len(_EN_CITIES)]
        return f"{a % 249 + 1} {_EN_STREETS[(a >> 8) % len(_EN_STREETS)]}\n{c} {z}"

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


def _local_part(rng: random.Random, first: str, last: str) -> str:
    f, l = _ascii(first), _ascii(last).replace(" ", "")
    k = _rrange(rng, 6)
    if k == 0:
        return f"{f}.{l}"
    if k == 1:
        return f"{f}{l}{_rint(rng, 1, 99)}"
    if k == 2:
        return f"{f[0]}.{l}"
    if k == 3:
        return f"{f}_{l}{_rint(rng, 1960, 2004)}"
    if k == 4:
        return f"{l}.{f}{_rint(rng, 1, 9)}"
    return f"{f}.{l}.{_rint(rng, 100, 999)}"


# --------------------------------------------------------------------------- #
# the world: customers, companies, employees
# --------------------------------------------------------------------------- #


class _World:
    def __init__(self, seed: int, scale: float) -> None:
        rng = random.Random(f"{seed}/world")
        self.rng = rng
        # corporate customer domains and their contacts
        names = set()
        while len(names) < 300:
            p, s = _pick(rng, _CORP_PREFIX), _pick(rng, _CORP_SUFFIX)
            names.add((p, s, _pick(rng, _CORP_TLD), rng.random() < 0.6))
        self.companies: list[tuple[str, str, list[_Person]]] = []  # (domain, display name, contacts)
        self.corp_contacts: list[_Person] = []
        for p, s, tld, dash in sorted(names):
            domain = f"{p}-{s}{tld}" if dash else f"{p}{s}{tld}"
            lang = "fr" if tld == ".fr" else "en"
            contacts = []
            seen = set()
            for _ in range(_rint(rng, 3, 12)):
                first = _pick(rng, _FR_FIRST if lang == "fr" else _EN_FIRST)
                last = _pick(rng, _FR_LAST if lang == "fr" else _EN_LAST)
                email = f"{_ascii(first)}.{_ascii(last).replace(' ', '')}@{domain}"
                if email in seen:
                    continue
                seen.add(email)
                contacts.append(_Person(email, first, last, lang, rng.getrandbits(30)))
            display = f"{p.title()} {s.title()}"
            self.companies.append((domain, display, contacts))
            self.corp_contacts.extend(contacts)
        self.company_of = {c.email: (d, disp) for d, disp, cs in self.companies for c in cs}
        # freemail consumers
        n = max(2000, int(round(50_000 * scale)))
        doms = [d for d, _, _ in _FREEMAIL]
        weights = [w for _, w, _ in _FREEMAIL]
        fr_share = {d: f for d, _, f in _FREEMAIL}
        self.consumers: list[_Person] = []
        seen: set[str] = set()
        while len(self.consumers) < n:
            d = rng.choices(doms, weights)[0]
            lang = "fr" if rng.random() < fr_share[d] else "en"
            first = _pick(rng, _FR_FIRST if lang == "fr" else _EN_FIRST)
            last = _pick(rng, _FR_LAST if lang == "fr" else _EN_LAST)
            email = f"{_local_part(rng, first, last)}@{d}"
            if email in seen:
                continue
            seen.add(email)
            self.consumers.append(_Person(email, first, last, lang, rng.getrandbits(30)))
        self.known_external = seen | {c.email for c in self.corp_contacts}
        # employees: the company directory (all-hands audience) and the simulated senders
        directory: list[_Person] = []
        dseen: set[str] = set()
        size = _rint(rng, 480, 780)
        while len(directory) < size:
            lang = "fr" if rng.random() < 0.6 else "en"
            first = _pick(rng, _FR_FIRST if lang == "fr" else _EN_FIRST)
            last = _pick(rng, _FR_LAST if lang == "fr" else _EN_LAST)
            email = f"{_ascii(first)}.{_ascii(last).replace(' ', '')}@{INTERNAL_DOMAIN}"
            if email in dseen:
                continue
            dseen.add(email)
            directory.append(_Person(email, first, last, lang, rng.getrandbits(30)))
        self.directory = directory
        staff = rng.sample(directory, 24)
        self.ceo = staff[0]
        self.support = staff[1:9]
        self.sales = staff[9:15]
        self.others = staff[15:]
        self.employees = staff
        # each sales person has a book of corporate contacts; each other employee a few vendors
        self.book: dict[str, list[_Person]] = {}
        for s in self.sales:
            comps = rng.sample(self.companies, 12)
            self.book[s.email] = [c for _, _, cs in comps for c in cs]
        for o in self.others + [self.ceo]:
            comps = rng.sample(self.companies, 2)
            self.book[o.email] = [c for _, _, cs in comps for c in cs[:2]]
        self.title = {self.ceo.email: "Chief Executive Officer"}
        for s in self.support:
            self.title[s.email] = "Customer Support"
        for s in self.sales:
            self.title[s.email] = "Account Executive"
        for o in self.others:
            self.title[o.email] = _pick(rng, ("Finance", "Operations", "Marketing", "Engineering", "HR", "Product"))

    def customer(self, rng: random.Random, corporate_share: float = 0.15) -> _Person:
        if rng.random() < corporate_share:
            return _pick(rng, self.corp_contacts)
        return _pick(rng, self.consumers)

    def fresh_external(self, rng: random.Random) -> str:
        """An external address nobody at the company ever mailed."""
        while True:
            first = _pick(rng, _EN_FIRST + _FR_FIRST)
            last = _pick(rng, _EN_LAST + _FR_LAST)
            d = _pick(rng, FREEMAIL_DOMAINS) if rng.random() < 0.7 else _pick(rng, self.companies)[0]
            email = f"{_local_part(rng, first, last)}{_rint(rng, 1, 999)}@{d}"
            if email not in self.known_external:
                self.known_external.add(email)
                return email


# --------------------------------------------------------------------------- #
# the generator
# --------------------------------------------------------------------------- #


class _Gen:
    def __init__(self, scenario: str, seed: int, days: float, scale: float) -> None:
        self.scenario, self.seed, self.days, self.scale = scenario, seed, days, scale
        self.day = _INCIDENT_DAY.get(scenario, _DEFAULT_DAY)
        self.day_ts = datetime(self.day.year, self.day.month, self.day.day, tzinfo=timezone.utc).timestamp()
        self.start = self.day_ts - days * 86400.0
        self.end = self.day_ts + 86400.0
        self.world = _World(seed, scale)
        # (ts_ms, seq, event, true template, true kind, label)
        self.rows: list[tuple[int, int, dict, str, str, str]] = []
        self.groups: dict[tuple[str, int], dict[str, Any]] = {}  # (kind, idx) -> label entry

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{self.seed}/{name}")

    # ---- event emission ------------------------------------------------- #
    def emit(
        self,
        rng: random.Random,
        ts: float,
        sender: str,
        kind: str,
        template: str | None,
        subject: str,
        body: str,
        *,
        to: list[str] | None = None,
        cc: list[str] | None = None,
        bcc: list[str] | None = None,
        template_id: str | None = None,
        thread_id: str | None = None,
        in_reply_to: str | None = None,
        attachments: list[dict] | None = None,
        label: str = "",
        event_id: str | None = None,
    ) -> dict:
        if event_id is None:
            event_id = f"<{rng.getrandbits(96):024x}@mail.{INTERNAL_DOMAIN}>"
        ev: dict[str, Any] = {"event_id": event_id, "ts": None, "sender": sender}
        if to or not (cc or bcc):
            ev["to"] = to or []
        if cc:
            ev["cc"] = cc
        if bcc:
            ev["bcc"] = bcc
        if rng.random() < 0.5:
            ev["sender_kind"] = kind
        ev["subject"] = subject
        if template_id is not None and rng.random() >= 0.4:
            ev["template_id"] = template_id
        ev["body"] = body
        if thread_id:
            ev["thread_id"] = thread_id
        if in_reply_to:
            ev["in_reply_to"] = in_reply_to
        if attachments:
            ev["attachments"] = attachments
        ts_ms = int(round(ts * 1000))
        self.rows.append((ts_ms, len(self.rows), ev, template or f"free:{event_id}", kind, label))
        return ev

    def times(self, rng: random.Random, daily: float, weekend: float, profile: tuple[float, ...],
              mult: Callable[[float], float] | None = None, business_only: bool = False) -> list[float]:
        """Inhomogeneous Poisson arrival times over [start, end)."""
        out: list[float] = []
        t = math.floor(self.start / _SLICE) * _SLICE
        per = daily * self.scale * _SLICE / 3600.0
        while t < self.end:
            dt = datetime.fromtimestamp(t, timezone.utc)
            wd = dt.weekday()
            f = weekend if wd >= 5 else 1.0
            if business_only and wd >= 5:
                f = 0.0
            lam = per * profile[dt.hour] * f
            if mult is not None:
                lam *= mult(t + _SLICE / 2)
            for _ in range(_poisson(rng, lam)):
                x = t + rng.random() * _SLICE
                if self.start <= x < self.end:
                    out.append(x)
            t += _SLICE
        out.sort()
        return out

    # ---- fill-ins --------------------------------------------------------- #
    def order_no(self, rng: random.Random) -> str:
        return str(_rint(rng, 40000, 99999)) if rng.random() < 0.5 else f"EX-{_rint(rng, 10**6, 10**7 - 1)}"

    def items(self, rng: random.Random, lang: str) -> tuple[str, float]:
        lines, total = [], 0.0
        for _ in range(rng.choices((1, 2, 3), (6, 3, 1))[0]):
            name, price = _pick(rng, _PRODUCTS)
            q = 1 if rng.random() < 0.85 else 2
            total += q * price
            lines.append(f"  {q} x {name} - {_money(rng, q * price, lang)}")
        return "\n".join(lines), total

    def fill(self, rng: random.Random, ts: float, lang: str, p: _Person | None = None, **extra: Any) -> dict:
        d = datetime.fromtimestamp(ts, timezone.utc)
        f = {
            "first": p.first if p else "",
            "name": p.name if p else "",
            "email": p.email if p else "",
            "address": p.address if p else "",
            "date": _fmt_date(rng, d, lang),
            "date2": _fmt_date(rng, d + timedelta(days=_rint(rng, 2, 14)), lang),
        }
        f.update(extra)
        return f

    def templated(self, rng: random.Random, ts: float, sender: str, template: str, p: _Person, lang: str | None = None,
                  *, to: list[str] | None = None, label: str = "", fill: dict | None = None, **kw: Any) -> dict:
        lang = lang or p.lang
        subj, body = _T[(template, lang)]
        f = fill if fill is not None else self.fill(rng, ts, lang, p)
        return self.emit(rng, ts, sender, "automated", template, subj.format(**f), body.format(**f),
                         to=to if to is not None else [p.email], template_id=template, label=label, **kw)

    # ---- automated senders ------------------------------------------------ #
    def orders(self, mult: Callable[[float], float] | None, label_window: tuple[float, float] | None) -> None:
        rng = self.rng("orders")
        ramp_rng = self.rng("orders-ramp")
        base = self.times(rng, 2600, 0.8, _PROFILE_CONSUMER)
        extra: list[float] = []
        if mult is not None:  # the launch surplus on top of the normal traffic
            extra = self.times(ramp_rng, 2600, 0.8, _PROFILE_CONSUMER, mult=lambda t: max(0.0, mult(t) - 1.0))
        for src, ts_list in ((rng, base), (ramp_rng, extra)):
            for ts in ts_list:
                p = self.world.customer(src)
                lang = p.lang
                items, total = self.items(src, lang)
                order = self.order_no(src)
                f = self.fill(src, ts, lang, p, order=order, items=items, total=_money(src, total, lang),
                              url=f"https://shop.example.com/orders/{order}?token={_token(src)}")
                label = "launch-ramp" if label_window and label_window[0] <= ts <= label_window[1] else ""
                self.templated(src, ts, "orders@example.com", "order_confirmation", p, fill=f, label=label)

    def shipping(self, mult: Callable[[float], float] | None, label_window: tuple[float, float] | None) -> None:
        rng = self.rng("shipping")
        ramp_rng = self.rng("shipping-ramp")
        base = self.times(rng, 1900, 0.3, _PROFILE_WAREHOUSE)
        extra = self.times(ramp_rng, 1900, 0.3, _PROFILE_WAREHOUSE, mult=lambda t: max(0.0, mult(t) - 1.0)) if mult else []
        for src, ts_list in ((rng, base), (ramp_rng, extra)):
            for ts in ts_list:
                p = self.world.customer(src)
                carrier, code = _tracking(src)
                order = self.order_no(src)
                f = self.fill(src, ts, p.lang, p, order=order, carrier=carrier, tracking=code,
                              url=f"https://track.example.com/{code}?t={_token(src, 12)}")
                label = "launch-ramp" if label_window and label_window[0] <= ts <= label_window[1] else ""
                self.templated(src, ts, "shipping@example.com", "shipping_notification", p, fill=f, label=label)

    def accounts(self) -> None:
        rng = self.rng("accounts")
        for ts in self.times(rng, 450, 0.9, _PROFILE_CONSUMER):
            p = self.world.customer(rng, 0.05)
            f = self.fill(rng, ts, p.lang, p, hours=_pick(rng, (1, 2, 24)),
                          url=f"https://accounts.example.com/reset?token={_token(rng, 32)}")
            self.templated(rng, ts, "accounts@example.com", "password_reset", p, fill=f)

    def care(self) -> None:
        rng = self.rng("care")
        agents = [a.first for a in self.world.support]
        for ts in self.times(rng, 170, 0.4, _PROFILE_CONSUMER):
            p = self.world.customer(rng)
            tpl = rng.choices(("ticket_received", "ticket_resolved", "satisfaction_survey"), (5, 3, 2))[0]
            ticket = str(_rint(rng, 100000, 999999))
            f = self.fill(rng, ts, p.lang, p, ticket=ticket, agent=_pick(rng, agents), hours=_pick(rng, (24, 48)),
                          url=f"https://help.example.com/requests/{ticket}?k={_token(rng, 16)}")
            self.templated(rng, ts, "care@example.com", tpl, p, fill=f)

    def invoice_fill(self, rng: random.Random, ts: float, p: _Person) -> dict:
        inv = f"INV-{datetime.fromtimestamp(ts, timezone.utc):%Y%m}-{_rint(rng, 1, 99999):05d}"
        return self.fill(rng, ts, p.lang, p, invoice=inv, total=_money(rng, rng.uniform(20, 9000), p.lang),
                         customer_no=f"C{_rint(rng, 10**5, 10**6 - 1)}",
                         url=f"https://pay.example.com/i/{_token(rng, 20)}")

    def invoice(self, rng: random.Random, ts: float, p: _Person, label: str = "") -> None:
        f = self.invoice_fill(rng, ts, p)
        att = [{"filename": f"{f['invoice']}.pdf", "content_type": "application/pdf", "size": _rint(rng, 40_000, 180_000)}]
        self.templated(rng, ts, "billing@example.com", "invoice", p, fill=f, attachments=att, label=label)

    def billing(self) -> list[str]:
        """Daily invoices plus the month-end run on the last business day of each month.
        Returns the event ids of the incident-day run."""
        rng = self.rng("billing")
        for ts in self.times(rng, 25, 0.0, _PROFILE_BUSINESS, business_only=True):
            self.invoice(rng, ts, self.world.customer(rng, 0.6))
        run_ids: list[str] = []
        d = datetime.fromtimestamp(self.start, timezone.utc).date()
        while d <= self.day:
            nxt = d + timedelta(days=1)
            while nxt.weekday() >= 5:
                nxt += timedelta(days=1)
            if d.weekday() < 5 and nxt.month != d.month:  # last business day of the month
                r = self.rng(f"invoice-run/{d.isoformat()}")
                t0 = datetime(d.year, d.month, d.day, 6, 0, tzinfo=timezone.utc).timestamp() + r.uniform(-300, 300)
                n = _poisson(r, 3200 * self.scale)
                dur = r.uniform(6000, 8400)
                is_label = self.scenario == "invoice-run" and d == self.day
                for ts in sorted(t0 + dur * r.random() ** 1.1 for _ in range(n)):
                    if self.start <= ts < self.end:
                        self.invoice(r, ts, self.world.customer(r, 0.6), "invoice-run" if is_label else "")
                        if is_label:
                            run_ids.append(self.rows[-1][2]["event_id"])
            d += timedelta(days=1)
        return run_ids

    def newsletter(self) -> None:
        d = datetime.fromtimestamp(self.start, timezone.utc).date()
        subs_rng = self.rng("newsletter/subscribers")
        subscribers = subs_rng.sample(self.world.consumers, min(len(self.world.consumers), int(6000 * self.scale) + 50))
        while d <= self.day:
            if d.weekday() == 1:  # Tuesday 10:00 UTC
                r = self.rng(f"newsletter/{d.isoformat()}")
                t0 = datetime(d.year, d.month, d.day, 10, 0, tzinfo=timezone.utc).timestamp()
                issue = d.isocalendar()[1]
                n = min(len(subscribers), int(round(4000 * self.scale * r.uniform(0.95, 1.05))))
                title_i = issue % len(_NEWS_TITLES)
                is_label = self.scenario == "newsletter" and d == self.day
                audience = r.sample(subscribers, n)
                for i, p in enumerate(audience):
                    ts = t0 + 1800.0 * (i + r.random()) / max(1, n)
                    if not (self.start <= ts < self.end):
                        continue
                    lang = p.lang
                    title = (_FR_NEWS_TITLES if lang == "fr" else _NEWS_TITLES)[title_i]
                    f = self.fill(r, ts, lang, p, title=title, issue=issue, percent=_pick(r, (10, 15, 20)),
                                  url=f"https://www.example.com/n/{issue}?utm_source=newsletter&u={_token(r, 12)}",
                                  url2=f"https://www.example.com/unsubscribe?token={_token(r, 32)}")
                    in_bcc = r.random() < 0.3
                    self.templated(r, ts, "news@example.com", "newsletter", p, fill=f,
                                   to=[] if in_bcc else [p.email], bcc=[p.email] if in_bcc else None,
                                   label="newsletter" if is_label else "")
            d += timedelta(days=1)

    def event_reminder(self, rng: random.Random, ts: float, p: _Person, webinar: str, when: datetime, **kw: Any) -> dict:
        f = self.fill(rng, ts, p.lang, p, webinar=webinar, time=f"{when.hour:02d}:{when.minute:02d}",
                      code=f"{_rint(rng, 100, 999)}-{_rint(rng, 100, 999)}-{_rint(rng, 100, 999)}",
                      url=f"https://events.example.com/join/{_token(rng, 16)}",
                      url2=f"https://events.example.com/ics/{_token(rng, 16)}")
        f["date"] = _fmt_date(rng, when, p.lang)
        return self.templated(rng, ts, "events@example.com", "event_reminder", p, fill=f, **kw)

    def events(self) -> None:
        rng = self.rng("events")
        for ts in self.times(rng, 45, 0.05, _PROFILE_BUSINESS):
            p = self.world.customer(rng, 0.7)
            when = datetime.fromtimestamp(ts, timezone.utc).replace(minute=0, second=0) + timedelta(days=_rint(rng, 1, 3))
            self.event_reminder(rng, ts, p, _pick(rng, _WEBINARS), when.replace(hour=_pick(rng, (9, 14, 16))))

    # ---- humans ------------------------------------------------------------ #
    def signature(self, e: _Person) -> str:
        return f"\n\n{e.first}\n--\n{e.name}\n{self.world.title.get(e.email, '')} | Example\n+33 1 {e.email.__len__() % 90 + 10} 42 17 {len(e.last) * 7 % 90 + 10}"

    def sentences(self, rng: random.Random, bank: tuple[str, ...], k: int, **f: Any) -> str:
        return " ".join(s.format(**f) for s in rng.sample(bank, min(k, len(bank))))

    def human_fill(self, rng: random.Random, ts: float, lang: str = "en") -> dict:
        d = datetime.fromtimestamp(ts, timezone.utc)
        return {
            "order": self.order_no(rng), "total": _money(rng, rng.uniform(10, 900), lang),
            "date": _fmt_date(rng, d - timedelta(days=_rint(rng, 1, 10)), lang),
            "date2": _fmt_date(rng, d + timedelta(days=_rint(rng, 1, 10)), lang),
            "day": _pick(rng, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "tomorrow")),
            "time": f"{_pick(rng, (9, 10, 11, 14, 15, 16))}:{_pick(rng, ('00', '30'))}",
            "n": _rint(rng, 5, 400), "q": (d.month - 1) // 3 + 1 + _rint(rng, 0, 1),
            "ticket": str(_rint(rng, 100000, 999999)), "city": _pick(rng, _EN_CITIES)[1],
            "quote": f"Q-{_rint(rng, 1000, 9999)}",
        }

    def support_mail(self, rng: random.Random, ts: float, e: _Person) -> None:
        p = self.world.customer(rng, 0.1)
        fr = p.lang == "fr"
        f = self.human_fill(rng, ts, p.lang)
        subj = "Re: " + _pick(rng, _SUPPORT_SUBJECTS_FR if fr else _SUPPORT_SUBJECTS_EN).format(**f)
        greet = f"Bonjour {p.first}," if fr else _pick(rng, ("Hi", "Hello", "Dear")) + f" {p.first},"
        close = "Bien cordialement," if fr else _pick(rng, ("Best regards,", "Kind regards,", "Thanks,", "All the best,"))
        quote = _pick(rng, _COMPLAINT_FR if fr else _COMPLAINT_EN).format(**f)
        wrote = "a écrit" if fr else "wrote"
        body = (f"{greet}\n\n{self.sentences(rng, _SUPPORT_FR if fr else _SUPPORT_EN, _rint(rng, 2, 6), **f)}\n\n"
                f"{close}{self.signature(e)}\n\n> {f['date']}, {p.name} <{p.email}> {wrote}:\n> {quote}")
        cust_id = f"<{_token(rng, 20)}@mail.{p.email.rpartition('@')[2]}>"
        att = None
        if rng.random() < 0.12:
            att = [{"filename": _pick(rng, ("return-label.pdf", "invoice-copy.pdf", "warranty-terms.pdf")),
                    "content_type": "application/pdf", "size": _rint(rng, 30_000, 400_000)}]
        self.emit(rng, ts, e.email, "human", None, subj, body, to=[p.email], thread_id=f"thr-{_token(rng, 16)}",
                  in_reply_to=cust_id, attachments=att)

    def sales_mail(self, rng: random.Random, ts: float, e: _Person) -> None:
        book = self.world.book[e.email]
        first = _pick(rng, book)
        domain, company = self.world.company_of[first.email]
        same = [c for c in book if c.email.endswith("@" + domain) and c is not first]
        to = [first.email] + [c.email for c in rng.sample(same, min(len(same), _pick(rng, (0, 0, 1, 2))))]
        cc = [c.email for c in rng.sample(self.world.employees, _pick(rng, (0, 0, 1, 2))) if c is not e]
        f = self.human_fill(rng, ts)
        f["company"] = company
        subj = _pick(rng, _SALES_SUBJECTS).format(**f)
        if rng.random() < 0.4:
            subj = "Re: " + subj
        greet = f"Hi {first.first}," if len(to) == 1 else "Hi all,"
        body = (f"{greet}\n\n{self.sentences(rng, _SALES, _rint(rng, 3, 7), **f)}\n\n"
                f"{_pick(rng, ('Best,', 'Kind regards,', 'Cheers,', 'Best regards,'))}{self.signature(e)}")
        att = None
        if rng.random() < 0.2:
            att = [{"filename": f"Example-proposal-{f['quote']}.pdf", "content_type": "application/pdf",
                    "size": _rint(rng, 100_000, 2_000_000)}]
        thread = f"thr-{_token(rng, 16)}" if rng.random() < 0.6 else None
        self.emit(rng, ts, e.email, "human", None, subj, body, to=to, cc=cc or None, thread_id=thread,
                  in_reply_to=f"<{_token(rng, 20)}@{domain}>" if subj.startswith("Re:") else None, attachments=att)

    def internal_mail(self, rng: random.Random, ts: float, e: _Person) -> None:
        pool = self.world.directory if rng.random() < 0.5 else self.world.employees
        rec = [p for p in rng.sample(pool, _rint(rng, 1, 4)) if p is not e] or [self.world.ceo if e is not self.world.ceo else self.world.others[0]]
        ncc = _pick(rng, (0, 0, 0, 1, 2))
        to, cc = [p.email for p in rec[: max(1, len(rec) - ncc)]], [p.email for p in rec[max(1, len(rec) - ncc):]]
        f = self.human_fill(rng, ts)
        subj = _pick(rng, _INTERNAL_SUBJECTS).format(**f)
        greet = f"Hi {rec[0].first}," if len(rec) == 1 else _pick(rng, ("Hi all,", "Hi team,", "Hello,"))
        body = f"{greet}\n\n{self.sentences(rng, _INTERNAL, _rint(rng, 3, 7), **f)}\n\n{_pick(rng, ('Thanks,', 'Cheers,', 'Best,'))}{self.signature(e)}"
        att = None
        if rng.random() < 0.08:
            att = [{"filename": _pick(rng, ("report.xlsx", "slides.pptx", "notes.docx", "expenses.pdf")),
                    "content_type": "application/octet-stream", "size": _rint(rng, 20_000, 3_000_000)}]
        self.emit(rng, ts, e.email, "human", None, subj, body, to=to, cc=cc or None, attachments=att)

    def vendor_mail(self, rng: random.Random, ts: float, e: _Person) -> None:
        p = _pick(rng, self.world.book[e.email])
        f = self.human_fill(rng, ts)
        subj = _pick(rng, ("Re: your invoice", "Delivery {date2}", "Re: order confirmation", "Meeting {day}")).format(**f)
        body = f"Hello {p.first},\n\n{self.sentences(rng, _INTERNAL + _SALES, _rint(rng, 3, 5), company='your team', **f)}\n\nRegards,{self.signature(e)}"
        self.emit(rng, ts, e.email, "human", None, subj, body, to=[p.email])

    def humans(self) -> None:
        w = self.world
        for e in w.employees:
            rng = self.rng(f"human/{e.email}")
            if e in w.support:
                daily, weekend = 55, 0.1
            elif e in w.sales:
                daily, weekend = 20, 0.03
            elif e is w.ceo:
                daily, weekend = 6, 0.05
            else:
                daily, weekend = 14, 0.03
            for ts in self.times(rng, daily, weekend, _PROFILE_BUSINESS):
                x = rng.random()
                if e in w.support:
                    (self.support_mail if x < 0.85 else self.internal_mail)(rng, ts, e)
                elif e in w.sales:
                    (self.sales_mail if x < 0.7 else self.internal_mail)(rng, ts, e)
                else:
                    (self.vendor_mail if x < 0.1 else self.internal_mail)(rng, ts, e)

    # ---- incidents and negatives ------------------------------------------- #
    def at(self, hour: float) -> float:
        return self.day_ts + hour * 3600.0

    def ramp(self, t0_hour: float = 7.0) -> tuple[Callable[[float], float], Callable[[float], float], tuple[float, float]]:
        """Launch multiplier for orders (x9 plateau) and shipping (x3, lagging)."""
        peak = 9.0
        a, b, c, e = self.at(t0_hour), self.at(t0_hour + 3), self.at(t0_hour + 12), self.at(t0_hour + 14)

        def orders(t: float) -> float:
            if t < a:
                return 1.0
            if t < b:
                return 1.0 + (peak - 1.0) * (t - a) / (b - a)
            if t < c:
                return peak
            if t < e:
                return peak - (peak - 3.0) * (t - c) / (e - c)
            return 3.0

        def shipping(t: float) -> float:
            return 1.0 + (orders(t - 7200.0) - 1.0) * 0.25

        return orders, shipping, (a, self.end)

    def blast(self, start_hour: float) -> None:
        rng = self.rng("blast")
        n_req, n_rep = _rint(rng, 290, 310), _rint(rng, 65, 75)
        T, r = 7200.0, 300.0
        t0 = self.at(start_hour) + rng.uniform(0, 120)
        rate = n_req / (T - r / 2)
        cs = sorted(rng.random() * n_req for _ in range(n_req - 1))
        offs = [0.0] + [math.sqrt(2 * r * c / rate) if c < rate * r / 2 else c / rate + r / 2 for c in cs]
        freemail_pool = [p for p in self.world.consumers]
        requests: list[tuple[float, dict, list[_Person], str]] = []
        for off in offs:
            ts = t0 + off
            group = rng.sample(freemail_pool, _rint(rng, 3, 8))
            lang = "fr" if rng.random() < 0.25 else "en"
            f = self.fill(rng, ts, lang, None, order=self.order_no(rng), total=_money(rng, 699.0, lang))
            thread = f"thr-{_token(rng, 16)}"
            ev = self.templated(rng, ts, "care@example.com", "id_verification", group[0], lang,
                                to=[p.email for p in group], fill=f, thread_id=thread, label="id-request-blast")
            requests.append((ts, ev, group, lang))
        rts = sorted(t0 + rng.uniform(1200, T + 1800) for _ in range(n_rep))
        for ts in rts:
            eligible = [q for q in requests if q[0] < ts - 240]
            q_ts, orig, group, lang = _pick(rng, eligible)
            who = _pick(rng, group)
            text = _pick(rng, _RELAY_FR if lang == "fr" else _RELAY_EN)
            quoted = "\n".join("> " + line for line in orig["body"].splitlines()[:8])
            when = datetime.fromtimestamp(q_ts, timezone.utc).strftime("%a, %d %b %Y %H:%M")
            body = (f"{text}\n{who.first}\n\n-------- Forwarded reply from {who.email} --------\n"
                    f"On {when}, Example customer care <care@example.com> wrote:\n{quoted}")
            atts = [{"filename": f"IMG_{_rint(rng, 1000, 9999)}.jpg", "content_type": "image/jpeg",
                     "size": _rint(rng, 1_000_000, 4_000_000)} for _ in range(_pick(rng, (1, 1, 1, 2)))]
            self.emit(rng, ts, "care@example.com", "automated", None, "Re: " + orig["subject"], body,
                      to=[p.email for p in group], thread_id=orig["thread_id"], in_reply_to=orig["event_id"],
                      attachments=atts, label="id-request-blast")

    def compromised(self) -> str:
        rng = self.rng("compromised")
        e = self.world.sales[0]
        t0 = self.at(13.0) + rng.uniform(0, 600)
        n = _rint(rng, 385, 415)
        for i in range(n):
            ts = t0 + 3600.0 * (i + rng.random()) / n
            to = [self.world.fresh_external(rng) for _ in range(_pick(rng, (1, 1, 2)))]
            f = self.fill(rng, ts, "en", None, total=_money(rng, rng.uniform(200, 5000), "en"),
                          code=f"SEC-{_rint(rng, 10**5, 10**6 - 1)}", sender_name=e.name,
                          url=f"http://example-secure-verify.com/login?id={_token(rng, 16)}")
            subj, body = _T[("phishing_account_verification", "en")]
            self.emit(rng, ts, e.email, "human", "phishing_account_verification", subj.format(**f), body.format(**f),
                      to=to, label="compromised-account")
        return e.email

    def mail_merge(self) -> None:
        rng = self.rng("mail-merge")
        t0 = self.at(9.0) + rng.uniform(0, 600)
        n = _rint(rng, 38, 42)
        webinar = _pick(rng, _WEBINARS)
        when = datetime.fromtimestamp(self.day_ts + 86400 + 14 * 3600, timezone.utc)
        for i in range(n):
            ts = t0 + 1800.0 * (i + rng.random()) / n
            ppl = rng.sample(self.world.consumers, _rint(rng, 30, 60)) + rng.sample(self.world.corp_contacts, _rint(rng, 0, 5))
            head = self.world.customer(rng, 0.7)
            self.event_reminder(rng, ts, head, webinar, when, to=[head.email], cc=[p.email for p in ppl],
                                label="mail-merge-cc")

    def all_hands(self) -> None:
        rng = self.rng("all-hands")
        ceo = self.world.ceo
        ts = self.at(8.5) + rng.uniform(0, 600)
        aud = [p.email for p in self.world.directory if p is not ceo]
        k = len(aud) // 2
        subj = f"All-hands: Q{(self.day.month - 1) // 3 + 1} results and what comes next"
        body = (f"Dear all,\n\nThank you for an outstanding quarter. Revenue grew {_rint(rng, 8, 25)}% and our customer "
                f"satisfaction score reached {_rint(rng, 85, 95)}%. I want to thank every team for the work behind "
                "these numbers.\n\nWe will meet in the main auditorium on Friday at 16:00 to go through the results, "
                "the roadmap for the next quarter and the new office plans. Remote colleagues can join by video; the "
                "link is in the calendar invitation.\n\nSee you there,\n" + f"{ceo.first}{self.signature(ceo)}")
        ev = self.emit(rng, ts, ceo.email, "human", None, subj, body, to=aud[:k], cc=aud[k:], label="all-hands",
                       thread_id=f"thr-{_token(rng, 16)}")
        for p in sorted(rng.sample(self.world.employees[1:], _rint(rng, 3, 7)), key=lambda p: p.email):
            rts = ts + rng.uniform(300, 7200)
            text = _pick(rng, _ALLHANDS_REPLIES).format(first=ceo.first)
            self.emit(rng, rts, p.email, "human", None, "Re: " + subj,
                      f"{text}{self.signature(p)}\n\n> Dear all,\n> Thank you for an outstanding quarter.",
                      to=[ceo.email], thread_id=ev["thread_id"], in_reply_to=ev["event_id"], label="all-hands")

    # ---- run ---------------------------------------------------------------- #
    def run(self) -> tuple[list[dict], dict]:
        sc = self.scenario
        o_mult = s_mult = None
        window = None
        if sc in ("launch-ramp", "launch-day"):
            o_mult, s_mult, window = self.ramp(7.0)
        self.orders(o_mult, window)
        self.shipping(s_mult, window)
        self.accounts()
        self.care()
        self.billing()
        self.newsletter()
        self.events()
        self.humans()
        compromised_sender = None
        if sc in ("id-request-blast", "launch-day"):
            self.blast(11.5 if sc == "launch-day" else 14.0)
        elif sc == "compromised-account":
            compromised_sender = self.compromised()
        elif sc == "mail-merge-cc":
            self.mail_merge()
        elif sc == "all-hands":
            self.all_hands()

        self.rows.sort(key=lambda r: (r[0], r[1]))
        fmt = self.rng("ts-format")
        events: list[dict] = []
        truth: list[tuple[str, str, str, str]] = []
        by_label: dict[tuple[str, str], list[tuple[float, str, dict]]] = {}
        for ts_ms, _, ev, tpl, kind, label in self.rows:
            x = fmt.random()
            if x < 0.1:
                s = datetime.fromtimestamp(ts_ms / 1000, timezone.utc).isoformat(timespec="milliseconds")
                ev["ts"] = s.replace("+00:00", "Z") if x < 0.05 else s
            else:
                ev["ts"] = ts_ms / 1000
            events.append(ev)
            truth.append((ev["event_id"], tpl, kind, label))
            if label:
                key_sender = self.world.ceo.email if label == "all-hands" else ev["sender"]
                by_label.setdefault((label, key_sender), []).append((ts_ms / 1000, tpl, ev))

        incidents, negatives = [], []
        names_incident = {"id-request-blast", "compromised-account", "mail-merge-cc"}
        for (label, sender), rows in by_label.items():
            tpls = {t for _, t, _ in rows if not t.startswith("free:")}
            main_tpl = sorted(tpls)[0] if len(tpls) == 1 else (
                "id_verification" if label == "id-request-blast" else None)
            entry = {
                "name": label, "sender": sender, "start_ts": rows[0][0], "end_ts": rows[-1][0],
                "template_id": main_tpl, "event_ids": [ev["event_id"] for _, _, ev in rows],
            }
            if label == "compromised-account":
                entry["template_id"] = None  # the attacker's mail carries no template id
                entry["template"] = "phishing_account_verification"
            if label == "all-hands":
                entry["template_id"] = None
            (incidents if label in names_incident else negatives).append(entry)
        if sc == "baseline":
            negatives.append({"name": "baseline", "sender": None, "start_ts": self.start, "end_ts": self.end,
                              "template_id": None, "event_ids": []})
        # stable order: by start then sender
        incidents.sort(key=lambda e: (e["start_ts"], e["sender"]))
        negatives.sort(key=lambda e: (e["start_ts"], e["sender"] or ""))
        labels = {
            "scenario": sc, "seed": self.seed, "start_ts": self.start, "end_ts": self.end,
            "days": self.days, "scale": self.scale, "incident_day": self.day.isoformat(),
            "internal_domains": [INTERNAL_DOMAIN],
            "incidents": incidents, "negatives": negatives,
        }
        if compromised_sender:
            labels["compromised_sender"] = compromised_sender
        self.truth = truth
        return events, labels


def _check(scenario: str, days: float, scale: float) -> None:
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; valid scenarios: {', '.join(SCENARIOS)}")
    if not (days >= 0 and math.isfinite(days)):
        raise ValueError("days must be a non-negative number")
    if not (scale > 0 and math.isfinite(scale)):
        raise ValueError("scale must be a positive number")


def _generate(scenario: str, seed: int, days: float, scale: float) -> tuple[list[dict], dict, list]:
    _check(scenario, days, scale)
    # Hundreds of thousands of small dicts: the cyclic GC would rescan them over and
    # over (there are no cycles to find), so pause it while generating.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        g = _Gen(scenario, int(seed), float(days), float(scale))
        events, labels = g.run()
    finally:
        if was_enabled:
            gc.enable()
    return events, labels, g.truth


def generate(scenario: str, seed: int, *, days: float = 35, scale: float = 1.0) -> tuple[list[dict], dict]:
    """Generate a scenario: ``(events sorted by ts, labels)``; deterministic for a seed."""
    events, labels, _ = _generate(scenario, seed, days, scale)
    return events, labels


def simulate(scenario: str, seed: int, out_dir: str | os.PathLike, *, days: float = 35, scale: float = 1.0) -> dict:
    """Write ``events.jsonl``, ``labels.json`` and ``truth.csv`` under ``out_dir``; return the labels."""
    events, labels, truth = _generate(scenario, seed, days, scale)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "events.jsonl", "wb") as fh:
        dumps = orjson.dumps
        for i in range(0, len(events), 10_000):
            fh.write(b"".join(dumps(ev) + b"\n" for ev in events[i : i + 10_000]))
    (out / "labels.json").write_bytes(orjson.dumps(labels, option=orjson.OPT_INDENT_2) + b"\n")
    with open(out / "truth.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(("event_id", "template", "sender_kind", "label"))
        w.writerows(truth)
    return labels


def main(argv: list[str] | None = None) -> int:
    """``mailflow simulate --scenario NAME --seed N --out DIR [--days D] [--scale S] [--list]``."""
    if argv is None:
        argv = sys.argv[1:]
    argv = list(argv)
    if argv[:1] == ["simulate"]:
        argv = argv[1:]
    ap = argparse.ArgumentParser(
        prog="mailflow simulate",
        description="Generate a labelled mail-flow scenario: events.jsonl, labels.json and truth.csv.",
    )
    ap.add_argument("--scenario", help="scenario name (see --list)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--out", help="output directory")
    ap.add_argument("--days", type=float, default=None,
                    help="warm-up days before the incident day (default 35; 28 for the bank world)")
    ap.add_argument("--scale", type=float, default=1.0, help="volume multiplier (default 1.0)")
    ap.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = ap.parse_args(argv)
    from . import bank as sim_bank  # the second, independent world (a European bank)

    if args.list:
        every = {**SCENARIOS, **sim_bank.SCENARIOS}
        width = max(map(len, every))
        for name, desc in every.items():
            print(f"{name:<{width}}  {desc}")
        return 0
    if not args.scenario or not args.out:
        ap.print_usage(sys.stderr)
        print("mailflow simulate: error: --scenario and --out are required (or --list)", file=sys.stderr)
        return 2
    bank = args.scenario in sim_bank.SCENARIOS
    if args.scenario not in SCENARIOS and not bank:
        print(f"mailflow simulate: error: unknown scenario {args.scenario!r}; valid scenarios: "
              f"{', '.join([*SCENARIOS, *sim_bank.SCENARIOS])}", file=sys.stderr)
        return 2
    days = args.days if args.days is not None else (28.0 if bank else 35.0)
    try:
        _check(args.scenario if not bank else "baseline", days, args.scale)
    except ValueError as exc:
        print(f"mailflow simulate: error: {exc}", file=sys.stderr)
        return 2
    if bank:
        labels = sim_bank.simulate(args.scenario, args.seed, args.out, days=days, scale=args.scale)
    else:
        labels = simulate(args.scenario, args.seed, args.out, days=days, scale=args.scale)
    n_inc = sum(len(e["event_ids"]) for e in labels["incidents"])
    n_neg = sum(len(e["event_ids"]) for e in labels["negatives"])
    print(f"mailflow simulate: {args.scenario} seed={args.seed} -> {args.out} "
          f"({n_inc} incident events, {n_neg} labelled negative events)", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
