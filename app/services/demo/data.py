"""The fixed material the demo draws from: territories, names, streets, notes. Fiction only.

Names are common French (and Béarnais, Spanish, Portuguese, Maghrebi, English) first and last
names, combined at random: any resemblance to a real person is chance. Street names are those
of Pau's centre or generic village names; house numbers are drawn at random.
"""

from __future__ import annotations

#: Domain of every demo e-mail address.
DOMAIN = "demo.voisinage.fr"

#: Territories and their communes (INSEE codes). Pau alone holds half the population and has
#: its own desk; the Gave de Pau splits the rest of the agglomeration into a western crown
#: (the Billère–Lons–Lescar continuum, the villages along the Gave and on the western hills)
#: and a south-eastern one (the Jurançon–Gelos–Gan valley and the eastern communes).
TERRITORIES: dict[str, tuple[str, ...]] = {
    "Pau": ("64445",),
    "Couronne ouest": (
        "64129", "64348", "64335", "64060", "64448", "64198", "64549", "64037", "64315",
        "64142", "64080", "64525", "64478", "64072", "64121",
    ),
    "Couronne sud-est": (
        "64284", "64230", "64269", "64132", "64237", "64373", "64439", "64329", "64518",
        "64059", "64139", "64376", "64467", "64550", "64041",
    ),
}

#: (e-mail, role, first name, last name, territory or None) of the staff accounts.
STAFF = (
    ("admin", "admin", "Isabelle", "Laborde", None),
    ("agent.pau", "agent", "Sophie", "Casteran", "Pau"),
    ("agent.ouest", "agent", "Julien", "Lacrouts", "Couronne ouest"),
    ("agent.sud-est", "agent", "Nadia", "Benhamou", "Couronne sud-est"),
)

# First names: residents are mostly in their seventies to nineties, volunteers of every age.
ELDER_WOMEN = (
    "Jeanne", "Marie", "Marie-Thérèse", "Marie-Claire", "Marie-Louise", "Anne-Marie", "Simone",
    "Germaine", "Odette", "Paulette", "Yvette", "Josette", "Raymonde", "Suzanne", "Madeleine",
    "Denise", "Monique", "Colette", "Jacqueline", "Lucienne", "Geneviève", "Huguette",
    "Micheline", "Renée", "Arlette", "Ginette", "Thérèse", "Françoise", "Christiane", "Andrée",
)
ELDER_MEN = (
    "Jean", "Jean-Pierre", "Jean-Claude", "Jean-Louis", "Pierre", "André", "René", "Marcel",
    "Lucien", "Roger", "Henri", "Robert", "Bernard", "Michel", "Gérard", "Louis", "Raymond",
    "Guy", "Jacques", "Maurice", "Albert", "Fernand", "Joseph", "Claude", "Gilbert",
)
YOUNGER_WOMEN = (
    "Camille", "Léa", "Manon", "Chloé", "Sarah", "Julie", "Émilie", "Aurélie", "Sophie",
    "Nathalie", "Isabelle", "Céline", "Claire", "Élodie", "Pauline", "Marion", "Laure",
    "Anne-Sophie", "Marie-Hélène", "Agnès", "Lucie", "Amandine", "Hélène", "Maïté", "Brigitte",
)
YOUNGER_MEN = (
    "Thomas", "Nicolas", "Julien", "Maxime", "Antoine", "Mathieu", "Guillaume", "Romain",
    "Alexandre", "Sébastien", "Olivier", "Laurent", "Vincent", "Jean-Baptiste", "Pierre-Louis",
    "Benoît", "Xavier", "Hugo", "Lucas", "Yannick", "Patrick", "Didier", "François", "Alain",
)

BEARN_NAMES = (
    "Lacoste", "Cazenave", "Lassalle", "Larrieu", "Abadie", "Bordenave", "Lafourcade", "Puyou",
    "Sallenave", "Hourcade", "Labarrère", "Cazaux", "Pouey", "Lacaze", "Dufau", "Darrigrand",
    "Barrère", "Lamazou", "Baylocq", "Carrère", "Camdessus", "Bonnecaze", "Loustau", "Lalanne",
    "Laplace", "Pédelaborde", "Lembeye", "Peyret", "Candau", "Arrouy", "Tisné", "Bergès",
    "Lahitte", "Capdevielle", "Soulé", "Estrade", "Cassou", "Haurat", "Lanusse", "Pucheu",
)
FRENCH_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Fournier", "Girard", "Mercier",
    "Blanc", "Guérin", "Faure", "Rousseau", "Chevalier", "Gauthier", "Roux", "Fontaine",
)

#: Name pools and spoken languages by family background:
#: (languages, elder women, elder men, younger women, younger men, last names).
ORIGINS = {
    "fr": (("fr",), ELDER_WOMEN, ELDER_MEN, YOUNGER_WOMEN, YOUNGER_MEN, FRENCH_NAMES + BEARN_NAMES),
    "oc": (("fr", "oc"), ELDER_WOMEN, ELDER_MEN, YOUNGER_WOMEN, YOUNGER_MEN, BEARN_NAMES),
    "es": (("es", "fr"), ("Carmen", "Dolores", "Pilar", "María", "Rosario"),
           ("Manuel", "José", "Antonio", "Francisco"), ("Lucía", "Elena", "Laura"),
           ("Pablo", "Javier", "Daniel"),
           ("García", "Fernández", "López", "Martínez", "Sánchez", "Rodríguez", "Navarro", "Ortega")),
    "pt": (("fr", "pt"), ("Maria", "Fernanda", "Conceição", "Rosa"), ("Manuel", "Joaquim", "António"),
           ("Ana", "Sofia", "Inês"), ("Tiago", "Rui", "Pedro"),
           ("Da Silva", "Pereira", "Ferreira", "Rodrigues", "Oliveira", "Dos Santos", "Gonçalves",
            "Teixeira")),
    "ar": (("ar", "fr"), ("Fatima", "Khadija", "Aïcha", "Zohra"), ("Mohamed", "Ahmed", "Ali", "Rachid"),
           ("Yasmine", "Leïla", "Samia"), ("Karim", "Samir", "Mehdi"),
           ("Benali", "Haddad", "Belkacem", "Amrani", "Bensaïd", "Mansouri", "Cherif", "Bouzid")),
    "en": (("en", "fr"), ("Margaret", "Patricia", "Susan"), ("John", "Peter", "David"),
           ("Emma", "Rachel"), ("James", "Daniel"), ("Smith", "Taylor", "Brown", "Wilson", "Evans")),
}
#: How often each background comes up among residents and volunteers.
RESIDENT_ORIGINS = {"fr": 60, "oc": 18, "es": 8, "pt": 7, "ar": 5, "en": 2}
VOLUNTEER_ORIGINS = {"fr": 70, "oc": 5, "es": 8, "pt": 5, "ar": 8, "en": 4}

#: Streets of Pau; other communes draw from the village list.
PAU_STREETS = (
    "rue Castetnau", "rue Montpensier", "rue Bernadotte", "rue Carnot", "avenue de Trespoey",
    "rue Émile-Guichenné", "avenue de Buros", "rue du Maréchal-Joffre", "cours Bosquet",
    "rue d'Étigny", "avenue Jean-Mermoz", "rue Pasteur", "boulevard d'Alsace-Lorraine",
    "rue des Cordeliers", "avenue du Loup", "rue Jeanne-d'Albret", "rue Bayard",
    "avenue de Saragosse", "rue de Liège", "avenue Dufau",
)
VILLAGE_STREETS = (
    "rue de l'Église", "rue des Écoles", "chemin du Moulin", "place de la Mairie",
    "rue du Stade", "chemin des Vignes", "allée des Chênes", "rue des Pyrénées", "route de Pau",
    "impasse des Tilleuls", "chemin de la Fontaine", "rue du Lavoir", "avenue du Béarn",
    "rue des Noisetiers", "chemin du Bois", "rue du Château",
)

#: Who speaks for a resident registered at the desk, when it is not the person.
RELATIVES = ("sa fille", "son fils", "sa nièce", "son neveu", "sa voisine", "sa petite-fille")

#: Short, neutral notes a volunteer writes after a visit, by kind of visit.
VISIT_NOTES = {
    "home_chat": (
        "Café et discussion sur le quartier.", "Nous avons regardé des photos de famille.",
        "Partie de cartes, bonne humeur.", "Lecture du journal, échanges sur l'actualité.",
        "Discussion autour des souvenirs d'école.", "Aide pour régler la télévision, puis discussion.",
    ),
    "walk": (
        "Promenade jusqu'au parc, à petit pas.", "Tour du quartier et halte sur un banc.",
        "Balade le long du Gave.", "Promenade courte à cause de la pluie.",
    ),
    "phone_call": (
        "Appel d'une demi-heure, échange agréable.",
        "Conversation sur la famille et les projets de la semaine.",
    ),
    "errands": (
        "Courses au marché, retour sans difficulté.", "Passage à la pharmacie et à la boulangerie.",
        "Courses de la semaine au magasin du quartier.",
    ),
}
FAIR_NOTES = ("Un peu de fatigue aujourd'hui, visite plus courte.", "Moins d'entrain que d'habitude.")
MISSED_NOTES = (
    "Personne absente au rendez-vous ; jointe ensuite par téléphone, tout va bien.",
    "Pas de réponse à la porte ni au téléphone.",
)
WORRYING_NOTE = "La personne semblait très fatiguée et dit ne plus se faire à manger le soir."

#: Pending referrals: (first, last, insee, has a phone, address or None, reason,
#: referrer, relation, referrer has a phone, referrer e-mail local part or None, days ago).
REFERRALS = (
    ("Madeleine", "Pouey", "64230", True, None,
     "Vit seule depuis le décès de son mari et ne sort plus depuis l'hiver.",
     "Claire Pouey", "petite-fille", True, None, 1),
    ("Fernand", "Lahitte", "64348", False, "8 chemin du Moulin",
     "Ses enfants vivent loin ; il dit ne voir personne de la semaine.",
     "M. Estrade, pharmacie du bourg", "pharmacien", True, None, 3),
    ("Zohra", "Belkacem", "64445", True, None,
     "Arrivée dans le quartier il y a un an, ne connaît encore personne ; parle arabe et français.",
     "Service social du CCAS", "assistante sociale", False, "ccas", 6),
)
