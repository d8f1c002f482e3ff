// TEMPORARY until schemas/vocabulary lands
enum VocabularyData {
    static let fields = #"""
        {"categories":[{"id":"identification_contact"},{"id":"collection_invoicing"},{"id":"special_categories"},{"id":"financial_standing"}],
        "fields":[{"id":"name","category":"identification_contact","type":"string","special":false},
        {"id":"address","category":"identification_contact","type":"string","special":false},
        {"id":"personal_identity_code","category":"identification_contact","type":"personal_identity_code","special":false},
        {"id":"email","category":"identification_contact","type":"email","special":false},
        {"id":"claim_amount","category":"collection_invoicing","type":"money","special":false},
        {"id":"income","category":"financial_standing","type":"money","special":false},
        {"id":"health","category":"special_categories","type":"text","special":true},
        {"id":"social_force_majeure","category":"special_categories","type":"text","special":true}]}
        """#
    static let parties = #"""
        {"kinds":[{"id":"client"},{"id":"data_subject"},{"id":"representative"},{"id":"controller_internal"},{"id":"population_register"},{"id":"credit_bureau","allowedCategories":["identification_contact","financial_standing"]},{"id":"delivery_company","allowedFields":["name","address"]},{"id":"foreign_agent"},{"id":"processor"}],"catalogue":[]}
        """#
    static let purposes = #"""
        {"purposes":[{"id":"collection_of_overdue_claims"},{"id":"identification_and_contact"}],"legalBases":[{"id":"legitimate_interests"},{"id":"legal_obligation"},{"id":"contract"},{"id":"consent"}]}
        """#
    static let transfers = #"""
        {"eea":[{"country":"FI","from":"1995-01-01"},{"country":"SE","from":"1995-01-01"}],"adequacy":[{"country":"US","from":"2023-07-10","decision":"DPF","requiresCertification":"data_privacy_framework"},{"country":"CH","from":"2000-07-26","decision":"x"}],"safeguards":[{"id":"standard_contractual_clauses"},{"id":"binding_corporate_rules"},{"id":"article_49_derogation"}]}
        """#
}
